SELECT 1; -- the former form of each number is not kept
