// The Python driver run inside the sandbox by run_tests (protocol: driver_source.h). It is passed with
// `python3 -I -B -c`, so nothing of it is in the scratch directory for the program to alter.
#include "sandbox/driver_source.h"

namespace dc::sandbox::detail {

const char* const kDriverSource = R"PY(
import os, sys

def _main():
    import builtins

    def send(tag, index, status, payload):
        data = b"%s %d %s %d\n" % (tag, index, status, len(payload)) + payload
        view = memoryview(data)
        while view:
            view = view[os.write(3, view):]

    def describe(e):
        try:
            name = type(e).__name__
            if not isinstance(name, str):
                name = "Exception"
        except BaseException:
            name = "Exception"
        try:
            text = str(e)
        except BaseException:
            text = "<unprintable>"
        return (name + ": " + text).encode("utf-8", "backslashreplace")

    def finish():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(0)

    raw = sys.stdin.buffer.read()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(0, closefd=False)

    header, _, rest = raw.partition(b"\n")
    magic, stop, count = header.split(b" ")
    if magic != b"DCSB1":
        raise SystemExit("driver: bad request")
    stop, count = stop == b"1", int(count)
    blobs, pos = [], 0
    for _ in range(count + 2):
        end = rest.index(b"\n", pos)
        size = int(rest[pos:end])
        blobs.append(rest[end + 1:end + 1 + size].decode("utf-8", "surrogateescape"))
        pos = end + 1 + size
    harness, program, inputs = blobs[0], blobs[1], blobs[2:]
    del raw, rest, blobs

    harness_ns = {"__name__": "__harness__"}
    try:
        exec(compile(harness, "<harness>", "exec"), harness_ns)
        run_test = harness_ns["run_test"]
    except BaseException as e:
        send(b"H", -1, b"fail", describe(e))
        finish()

    ns = {"__name__": "__program__", "__builtins__": builtins}
    try:
        exec(compile(program, "<program>", "exec"), ns)
    except MemoryError as e:
        send(b"L", -1, b"oom", describe(e))
        finish()
    except BaseException as e:
        send(b"L", -1, b"fail", describe(e))
        finish()
    send(b"L", -1, b"ok", b"")

    for i, text in enumerate(inputs):
        try:
            out = run_test(ns, text)
            if type(out) is not str:
                raise TypeError("run_test returned %s, not str" % type(out).__name__)
            status, payload = b"ok", out.encode("utf-8", "surrogatepass")
        except MemoryError as e:
            status, payload = b"oom", describe(e)
        except BaseException as e:
            status, payload = b"fail", describe(e)
        send(b"R", i, status, payload)
        if stop and status != b"ok":
            break
    finish()

_main()
)PY";

}  // namespace dc::sandbox::detail
