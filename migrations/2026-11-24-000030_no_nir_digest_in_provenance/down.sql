SELECT 1; -- the digests taken out cannot be put back
