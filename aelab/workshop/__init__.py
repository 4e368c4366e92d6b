"""The workshop: the student handout with the slides' "to do" blanks, its checker and a grader.

    python -m aelab.workshop make DIR [--data-dir SRC | --dataset NAME] [--solution]
    python -m aelab.workshop check [DIR] [--todo N ...] [--timeout S]
    python -m aelab.workshop grade SUBMISSIONS [--out grades.csv] [--feedback DIR] [--jobs N] [--timeout S]

- todos.py: the TODOs, each with its slide section, hints, regions and observer;
- observing.py: what the observers share; source.py: reading a handout as Python does;
- cut.py: making the handout; check.py: checking one folder (observe.py is its child
  process, which runs a student's lines); grade.py: grading a class.
"""
