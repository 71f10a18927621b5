#!/usr/bin/python3
# tests/lib/smtp-sink.py: a loopback SMTP server for the mail tests, built on
# Debian's python3-aiosmtpd (a real SMTP implementation this project did not
# write). Each accepted message is written whole to DIR/<n>.eml (written to
# a temporary name, then renamed, so a reader never sees half a message)
# before the server answers 250.
#
#   smtp-sink.py --port PORT --dir DIR [--hold-after N]
#                [--tls-cert CERT --tls-key KEY] [--auth USER:PASSWORD]
#
# --hold-after N: the DATA of every message after the N-th accepted one
#     (counting the .eml files already in DIR) is never answered: the
#     server writes DIR/holding (the Message-ID held) and waits; a client
#     that goes away leaves nothing written (the fault test kills the
#     sender then).
# --tls-cert/--tls-key: offer STARTTLS and require it before MAIL.
# --auth USER:PASSWORD: require AUTH PLAIN or LOGIN (after STARTTLS when TLS
#     is on).
# Prints "ready PORT" on stdout once it listens; runs until SIGTERM.
import argparse
import asyncio
import email
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, folder, hold_after):
        self.folder = folder
        self.hold_after = hold_after
        self.accepted = len([f for f in os.listdir(folder) if f.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if self.hold_after is not None and self.accepted >= self.hold_after:
            mid = email.message_from_bytes(raw).get("Message-ID", "")
            with open(os.path.join(self.folder, "holding"), "w") as f:
                f.write(mid + "\n")
            await asyncio.Event().wait()  # until the client goes away
        self.accepted += 1
        name = os.path.join(self.folder, "%06d.eml" % self.accepted)
        rcpt = ",".join(envelope.rcpt_tos)
        with open(name + ".tmp", "wb") as f:
            f.write(b"X-Sink-Rcpt: " + rcpt.encode() + b"\r\n")
            f.write(b"X-Sink-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(raw)
        os.rename(name + ".tmp", name)
        return "250 OK queued as %d" % self.accepted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--hold-after", type=int, default=None)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--auth")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    handler = Sink(a.dir, a.hold_after)
    kw = {}
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        kw.update(tls_context=ctx, require_starttls=True)
    if a.auth:
        user, pw = a.auth.split(":", 1)

        def check(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and
                  data.login.decode() == user and
                  data.password.decode() == pw)
            return AuthResult(success=ok)

        kw.update(authenticator=check, auth_required=True,
                  auth_require_tls=bool(a.tls_cert))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", **kw),
        host="127.0.0.1", port=a.port))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print("ready %d" % a.port, flush=True)
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    sys.exit(main())
