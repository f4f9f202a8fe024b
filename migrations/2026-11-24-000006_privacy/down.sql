DROP TABLE purge_proof;
