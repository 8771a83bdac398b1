"""A real SMTP server for the tests (aiosmtpd, Debian python3-aiosmtpd).

Usage: smtp_sink.py PORT MAILDIR
Accepts mail on 127.0.0.1:PORT into MAILDIR, except for recipients whose local
part starts with "nobody": those are refused for good (550 5.1.1), as a real
server refuses a mailbox that does not exist.
"""
import asyncio
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("nobody"):
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(maildir), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
