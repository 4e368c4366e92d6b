"""The system calls a checking process may not make: a seccomp filter, as classic BPF bytes.

bubblewrap installs it (`bwrap --seccomp FD`) on the process it starts,
after setting no_new_privs, so that nothing the student's lines start can
remove it. It denies, with EPERM (as Docker's default profile does):

- the kernel's keyrings (add_key, request_key, keyctl): a keyring is not a
  file, and the sandbox's namespaces do not separate them: a key the process
  could reach or add would cross to the instructor, to another student, or
  to a later grading;
- memory no limit of the process counts (memfd_create, memfd_secret, System V
  shared memory and message queues, POSIX message queues): RLIMIT_AS counts
  what a process maps, not a memfd it holds unmapped;
- io_uring, whose requests the filter cannot see.

A call of another architecture than the machine's (32-bit calls on x86_64,
x32's numbers) is denied too, so that no other numbering reaches these
calls. The filter is made for x86_64 and aarch64; elsewhere `program` gives
None and grade says that it cannot apply it.
"""

import errno
import platform
import struct

# The calls denied, by architecture: (AUDIT_ARCH_... , {name: number}) (the kernel's
# arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h).
DENIED = {
    "x86_64": (0xC000003E, {"add_key": 248, "request_key": 249, "keyctl": 250, "memfd_create": 319,
                            "memfd_secret": 447, "shmget": 29, "msgget": 68, "mq_open": 240,
                            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427}),
    "aarch64": (0xC00000B7, {"add_key": 217, "request_key": 218, "keyctl": 219, "memfd_create": 279,
                             "memfd_secret": 447, "shmget": 194, "msgget": 186, "mq_open": 180,
                             "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427}),
}
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}  # other names platform.machine() gives
X32 = 0x40000000  # x32's calls: x86_64's numbers with this bit set

# Classic BPF (linux/filter.h, linux/seccomp.h): an instruction is (code, jt, jf, k).
LOAD = 0x20       # BPF_LD | BPF_W | BPF_ABS: the word at offset k of struct seccomp_data
JEQ = 0x15        # BPF_JMP | BPF_JEQ | BPF_K
JGE = 0x35        # BPF_JMP | BPF_JGE | BPF_K
RETURN = 0x06     # BPF_RET | BPF_K
NR, ARCH = 0, 4   # offsets of the call's number and its architecture in seccomp_data
ALLOW = 0x7FFF0000
DENY = 0x00050000 | errno.EPERM  # SECCOMP_RET_ERRNO: the call fails with EPERM


def machine():
    """The machine's architecture as DENIED names it, or what platform says where it has none."""
    name = platform.machine().lower()
    return MACHINES.get(name, name)


def program(arch=None):
    """The filter for arch (this machine's by default), as the bytes bwrap reads; None where the
    kit has no numbers for it."""
    if (arch or machine()) not in DENIED:
        return None
    audit, calls = DENIED[arch or machine()]
    numbers = sorted(set(calls.values()))
    deny = 5 + len(numbers)  # the last instruction's index; a jump counts from the next one
    steps = [(LOAD, 0, 0, ARCH), (JEQ, 0, deny - 2, audit), (LOAD, 0, 0, NR),
             (JGE, deny - 4, 0, X32)]
    steps += [(JEQ, deny - 5 - i, 0, number) for i, number in enumerate(numbers)]
    steps += [(RETURN, 0, 0, ALLOW), (RETURN, 0, 0, DENY)]
    return b"".join(struct.pack("=HBBI", *step) for step in steps)
