-- 0013_email_exact.sql: email addresses compare byte for byte. The portal
-- stores each address in one canonical form (trimmed, ASCII letters in
-- lower case) and the sign-in throttle counts that form exactly; under
-- utf8mb4_unicode_ci the account lookup also matched accented and
-- full-width spellings of it, so a locked account could be entered as
-- "clíent@..." (issue 15). Stored addresses are canonical already, so no
-- two rows collide under the new collation.
ALTER TABLE portal_users MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE clients MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE clinicians MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
