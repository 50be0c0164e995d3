-- One PostgreSQL, one database per service (run once, when the data folder is created).
-- Each service creates its own tables at start (schema migrations under an advisory lock).
CREATE DATABASE auth_server;
CREATE DATABASE message_service;
