"""The workshop: the student handout with the slides' "to do" blanks, its checker and a grader.

    python -m aelab.workshop make DIR [--data-dir SRC | --dataset NAME] [--solution]
    python -m aelab.workshop check [DIR] [--todo N ...] [--timeout S]
    python -m aelab.workshop pack [DIR] [--out ZIP]
    python -m aelab.workshop grade SUBMISSIONS [--out grades.csv] [--feedback DIR] [--jobs N]
                                               [--timeout S] [--no-sandbox]

- todos.py: the TODOs, each with its slide section, hints, regions and observer;
- observers.py: what the observers share; source.py: reading a handout as Python does, and
  the TODO marks, written and read;
- cut.py: cutting the blanks; handout.py: making the handout (notebooks.py: its notebooks);
- reference.py: the values the kit's own lines give, that students' are judged against;
- checking_process.py: the process that runs a student's lines; supervise.py:
  starting and watching it; sandbox.py: its sandbox when grading on Linux;
- judging.py: a TODO's row from what its lines gave; check.py: checking one folder;
- handin.py: zipping a student folder to hand in; submissions.py: reading what students hand
  in (and what is not their work); gradebook.py: grades.csv and resuming;
  grade.py: grading a class.
"""
