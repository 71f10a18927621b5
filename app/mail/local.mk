### app/mail: the outbox, the messages' words and the SMTP sender (libcurl).
### Its SQL lives in app/db (db_mail.h, db_mail.c; sql/0009_mail.sql).
libportal_a_SOURCES += app/mail/mail.h app/mail/mail.c app/mail/smtp.c

### Mail end to end through a real SMTP server on loopback (python3-aiosmtpd,
### tests/lib/smtp-sink.*) and the whole stack.
TESTS += tests/mail/mail.sh
dist_noinst_SCRIPTS += tests/mail/mail.sh tests/lib/smtp-sink.py
dist_noinst_DATA += tests/lib/smtp-sink.sh

### Unit tests of the words, the MIME form and the sealed token.
check_PROGRAMS += tests/unit/check_mail
tests_unit_check_mail_SOURCES = tests/unit/check_mail.c
tests_unit_check_mail_CFLAGS = $(UNIT_CFLAGS) $(MARIADB_CFLAGS)
tests_unit_check_mail_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_mail
