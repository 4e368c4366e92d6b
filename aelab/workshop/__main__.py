"""python -m aelab.workshop make | check | pack | grade: see aelab/workshop/__init__.py."""

import argparse

from aelab import argtypes, cli, input_data
from aelab.workshop import check as checking
from aelab.workshop.todos import TODOS


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m aelab.workshop",
        description="The workshop handout: make the student folder, check its TODOs, or grade "
                    "a class.")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("make", help="write the student folder")
    make.add_argument("folder", metavar="DIR", help="a new (or empty) folder")
    source = make.add_mutually_exclusive_group()
    source.add_argument("--data-dir", metavar="SRC", type=input_data.data_folder,
                        help="copy the four IDX files from SRC into DIR/mnist/data/, so the "
                             "class runs offline (default: students download MNIST)")
    source.add_argument("--dataset", choices=sorted(input_data.SOURCES),
                        help="copy this dataset's files from where the kit keeps them "
                             "(downloading them first if needed)")
    make.add_argument("--solution", action="store_true",
                      help="fill every TODO with the kit's own lines: the answers")
    timeout = dict(type=argtypes.positive_float, default=checking.DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds one TODO's checks may take before its row says timeout "
                        f"(default: {checking.DEFAULT_TIMEOUT:g})")
    check = commands.add_parser("check", help="check a student folder's TODOs")
    check.add_argument("folder", metavar="DIR", nargs="?", default=".",
                       help="the student folder (default: this one)")
    check.add_argument("--todo", type=argtypes.positive_int, nargs="+", metavar="N",
                       choices=[todo.number for todo in TODOS],
                       help="check only these TODOs (default: all)")
    check.add_argument("--timeout", **timeout)
    pack = commands.add_parser("pack", help="zip a student folder to hand in, without its "
                                             ".venv, run folders and data")
    pack.add_argument("folder", metavar="DIR", nargs="?", default=".",
                      help="the student folder (default: this one)")
    pack.add_argument("--out", metavar="ZIP",
                      help="the zip to write (default: the folder's name with .zip, beside it)")
    grade = commands.add_parser("grade", help="grade a class: a folder or .zip per student")
    grade.add_argument("submissions", metavar="SUBMISSIONS",
                       help="a folder holding each student's handout as a folder or a .zip, "
                            "named for the student")
    grade.add_argument("--out", default="grades.csv", metavar="CSV",
                       help="the grades table to write (default: grades.csv)")
    grade.add_argument("--feedback", metavar="DIR",
                       help="also write each student's table to DIR/<student>.txt")
    grade.add_argument("--jobs", type=argtypes.positive_int, default=None, metavar="N",
                       help="students checked at a time (default: one per CPU core)")
    grade.add_argument("--timeout", **timeout)
    grade.add_argument("--no-sandbox", action="store_true",
                       help="on Linux, run the students' code without the sandbox (bubblewrap): "
                            "with your rights, for submissions you trust")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.command == "check":
        return checking.check(args.folder, args.todo, args.timeout)
    if args.command == "pack":
        from aelab.workshop.handin import pack
        return pack(args.folder, args.out)
    if args.command == "grade":
        from aelab.workshop.grade import grade
        return grade(args.submissions, args.out, args.feedback, args.jobs, args.timeout,
                     args.no_sandbox)
    from aelab import quiet_tensorflow  # make runs the kit's lines to store their numbers
    from aelab.workshop import handout
    handout.make(args.folder, args.data_dir, args.dataset, args.solution)
    what = "solution" if args.solution else "handout"
    data = "with its data in mnist/data/" if args.data_dir or args.dataset else \
        "without data (MNIST is downloaded on first run)"
    print(f"Wrote the {what} to {args.folder}, {data}: {len(TODOS)} TODOs in "
          f"{len({r.file for t in TODOS for r in t.regions})} files. Next: "
          f"python -m aelab.workshop check {args.folder}")
    return 0


if __name__ == "__main__":
    cli.run(main)
