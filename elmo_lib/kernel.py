"""The Jupyter kernel `elmo-lib report` runs the notebooks in: ipykernel, in a session of its own.

    python -m elmo_lib.kernel -f CONNECTION_FILE

A Ctrl-C in the terminal reaches the report, which stops, keeps what finished and shuts the kernel
down; the kernel itself never sees it. Its own messages go to $ELMO_KERNEL_LOG (report/kernel.log), so
none of its shutdown noise reaches the terminal.
"""
import os

if __name__ == "__main__":
    try:
        os.setsid()
    except (AttributeError, OSError):  # no sessions on this platform, or already a session leader
        pass
    log = os.environ.get("ELMO_KERNEL_LOG")
    if log:  # the kernel's own messages (not the notebooks' output, which papermill records) go to this file
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    from ipykernel import kernelapp
    kernelapp.launch_new_instance()
