"""A real Jupyter kernel (ipykernel, through jupyter_client) for the tests, with the kit importable."""

import collections

from running import REPO, script_env


class Shown(collections.namedtuple("Shown", "stdout stderr shown errors status")):
    """What a cell showed: its printed text, the mimetypes it displayed, its errors, and how the
    kernel says it ended: "ok", "error", or "aborted" (not run)."""


class Kernel:
    """A real Jupyter kernel (ipykernel) started in a folder, with the kit importable."""

    def __init__(self, cwd):
        from jupyter_client.manager import start_new_kernel
        env = script_env(PYTHONPATH=REPO)
        env.pop("PYTHONUTF8")  # as a notebook server starts it
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(cwd), env=env)

    def execute(self, code, interrupt_after=None):
        """Runs a cell and returns what it showed; interrupts the kernel (as its stop button
        does) once its standard output holds `interrupt_after`."""
        return self.run_all([code], interrupt_after)[0]

    def run_all(self, cells, interrupt_after=None):
        """Runs cells as a notebook's Run All does: sent at once, the kernel told to skip those
        after a cell that fails (stop_on_error); interrupts the kernel once a cell's standard
        output holds `interrupt_after`. Returns what each cell showed, in order."""
        ids = [self.client.execute(code, stop_on_error=True) for code in cells]
        return [self._shown(msg_id, interrupt_after) for msg_id in ids]

    def _shown(self, msg_id, interrupt_after):
        out, err, shown, errors = [], [], set(), []
        while True:
            msg = self.client.get_iopub_msg(timeout=600)  # against a hang only
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                (out if content["name"] == "stdout" else err).append(content["text"])
                if interrupt_after and interrupt_after in "".join(out):
                    self.manager.interrupt_kernel()
                    interrupt_after = None
            elif kind in ("display_data", "execute_result"):
                shown |= set(content["data"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
        while True:  # its reply (the kernel's own replies to starting are skipped)
            reply = self.client.get_shell_msg(timeout=600)
            if reply["parent_header"].get("msg_id") == msg_id:
                return Shown("".join(out), "".join(err), shown, errors, reply["content"]["status"])

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
