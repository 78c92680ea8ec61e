#!/usr/bin/python3
"""A real SMTP server for relance's tests (aiosmtpd, Debian package
python3-aiosmtpd). It listens on 127.0.0.1, prints its port on a line of
its own once ready, keeps every accepted message as a file in --store, and
runs until its standard input closes.

  --refuse ADDR      answer 550 to RCPT TO:<ADDR> (an unknown mailbox)
  --drop-after N     after N accepted messages, close the connection at
                     every later DATA without answering (a server that
                     goes away in the middle of a run)
  --auth USER:PASS   require AUTH PLAIN/LOGIN with these credentials
"""

import argparse
import logging
import os
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, store, refuse, drop_after):
        self.store = store
        self.refuse = set(a.lower() for a in refuse)
        self.drop_after = drop_after
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_after is not None and self.accepted >= self.drop_after:
            server.transport.close()
            return "421 closing"
        self.accepted += 1
        name = os.path.join(self.store, "%03d.eml" % self.accepted)
        with open(name + ".tmp", "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 Ok: queued as TEST%03d" % self.accepted


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("--store", required=True)
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--drop-after", type=int)
    p.add_argument("--auth")
    args = p.parse_args()
    os.makedirs(args.store, exist_ok=True)
    handler = Handler(args.store, args.refuse, args.drop_after)
    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok)

        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_kwargs=kwargs)
    controller.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
