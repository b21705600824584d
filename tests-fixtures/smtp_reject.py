"""An aiosmtpd handler for the newsletter tests: a Maildir sink (like
aiosmtpd.handlers.Mailbox) that refuses, for good (550), any recipient
listed in the file `<maildir>.reject` (one address a line), as a mail
server refuses an address that does not exist. Run as
`python -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_reject.RejectingMailbox MAILDIR`
with this folder on PYTHONPATH."""

import os

from aiosmtpd.handlers import Mailbox


class RejectingMailbox(Mailbox):
    def __init__(self, mail_dir, *args, **kwargs):
        super().__init__(mail_dir, *args, **kwargs)
        self.reject_file = str(mail_dir).rstrip("/") + ".reject"

    def refused(self):
        try:
            with open(self.reject_file, encoding="utf-8") as f:
                return {line.strip().lower() for line in f if line.strip()}
        except FileNotFoundError:
            return set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused():
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"
