"""Section 4: reserved opcodes (Autobahn 4.1.x data 3-7, 4.2.x control 11-15) → 1002."""

from harness import Case, expect_failure, expect_failure_after_optional_echo
from wsclient import OP_PING, OP_TEXT, encode_frame


def _opcode_case(opcode, payload, prior):
    def run(ctx):
        c = ctx.connect()
        data = b""
        if prior:
            data += encode_frame(OP_TEXT, b"Hello, world!")
        data += encode_frame(opcode, payload)
        if prior:
            data += encode_frame(OP_PING, b"")
        c.send_raw(data)
        if prior:
            return expect_failure_after_optional_echo(c, OP_TEXT, b"Hello, world!", 1002)
        expect_failure(c, 1002)
    return run


def _cases():
    out = []
    plan = [(1, 3, b"", False), (2, 4, b"reserved opcode payload", False),
            (3, 5, b"", True), (4, 6, b"reserved opcode payload", True),
            (5, 7, b"reserved opcode payload", True)]
    for group, base in ((1, 0), (2, 8)):
        for sub, op, payload, prior in plan:
            op = op + base
            kind = "data" if group == 1 else "control"
            sent = ("text, then frame with reserved %s opcode %d%s, then ping"
                    if prior else "frame with reserved %s opcode %d%s")
            sent = sent % (kind, op, " and payload" if payload else "")
            out.append(Case("4.%d.%d" % (group, sub), sent,
                            ("echo of the text, " if prior else "") + "close 1002",
                            _opcode_case(op, payload, prior)))
    return out


CASES = _cases()
