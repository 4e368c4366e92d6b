"""Making the handout: python -m aelab.workshop make DIR [--data-dir SRC | --dataset NAME] [--solution]

The handout is cut from this kit's current sources every time (cut.py). It
also stores, as numbers, what the kit's own lines give in the checks
(reference.py), so that `check` can compare a student's lines with them
without the handout holding the answers; its notebooks (notebooks.py), its
data and a README for the students.
"""

import json
import os
import shutil

from aelab import LabError, input_data, paths
from aelab.workshop import notebooks, reference
from aelab.workshop.cut import answers, cut, kit_texts
from aelab.workshop.source import KIT, REFERENCE_FILE
from aelab.workshop.todos import TODOS

HANDOUT_REQUIREMENTS = ("tensorflow", "tensorboard", "numpy", "matplotlib", "scikit-learn",
                        "pillow", "filelock", "tqdm")


def make(folder, data_dir=None, dataset=None, solution=False):
    """Writes the handout (or its solution) into a new folder."""
    if os.path.exists(folder) and os.listdir(folder):
        raise LabError(f"{folder} is not empty; choose a new folder for the handout")
    mnist = data = None
    if data_dir or dataset:  # check the data first, so a bad folder makes nothing
        mnist = input_data.read_data_sets(data_dir, dataset=dataset or input_data.DEFAULT_DATASET)
        data = input_data.dataset_shown(dataset or input_data.DEFAULT_DATASET, data_dir)
    texts = kit_texts()
    solved = answers(texts)
    tmp = paths.beside(folder, ".part")  # "practice/" and "practice\\" alike
    shutil.rmtree(tmp, ignore_errors=True)
    for path, text in texts.items():
        if not solution and text != solved[path]:
            text = cut(path, text, False)
        _write(os.path.join(tmp, path), solved[path] if solution else text)
    _write(os.path.join(tmp, REFERENCE_FILE), json.dumps(reference.values(solved), indent=1) + "\n")
    _write(os.path.join(tmp, "requirements.txt"), _requirements())
    if mnist is not None:
        source = data_dir or input_data.default_data_dir(dataset)
        target = os.path.join(tmp, "mnist", "data")
        os.makedirs(target)
        for name in input_data.FILES:
            found = input_data._find(source, name)
            shutil.copy(found, os.path.join(target, os.path.basename(found)))
    notebooks.write(tmp, data)
    shutil.copy(os.path.join(KIT, "LICENSE"), os.path.join(tmp, "LICENSE"))
    _write(os.path.join(tmp, "README.md"), handout_readme(data, solution))
    if os.path.exists(folder):
        os.rmdir(folder)
    os.rename(tmp, os.path.normpath(folder))


def _write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _requirements():
    """The kit's requirement lines for what the scripts need, and Jupyter, as the slides list it."""
    with open(os.path.join(KIT, "requirements.txt"), encoding="utf-8") as f:
        kept = [line for line in f if line.split(">")[0].split("=")[0].strip() in HANDOUT_REQUIREMENTS]
    return "".join(kept) + "notebook>=7,<8\n"


def handout_readme(data, solution):
    """The student folder's README: Korean first, English beside it. data: the dataset it holds
    ("fashion", "mnist") or None."""
    state = ("이 폴더는 모범 답안입니다: 모든 TODO 가 채워져 있습니다. / This is the solution: "
             "every TODO is filled in.\n\n" if solution else "")
    notebook_names = ", ".join(f"`{part.notebook}`" for part in notebooks.PARTS)
    korean, english = notebooks.DATA_SAID[data]
    commands = "\n".join(notebooks.class_commands())
    table = notebooks.todo_table([todo.number for todo in TODOS])
    return f"""# 오토인코더 실습 (KCC 2019) / Autoencoder lab

{state}## 1. 준비 / Set-up

먼저 이 폴더에 가상 환경을 만들고 켠 뒤 설치합니다 (Linux 의 Python 은 가상 환경 밖의 `pip install` 을
거부합니다). / First make a virtual environment in this folder and activate it, then install (a
current Linux Python refuses a `pip install` outside one).

Windows (명령 프롬프트 / Command Prompt; PowerShell: `.venv\\Scripts\\Activate.ps1`):

```
py -m venv .venv
.venv\\Scripts\\activate
pip install -r requirements.txt
jupyter notebook
```

Linux, macOS:

```
python3 -m venv .venv
. .venv/bin/activate
pip install -r requirements.txt
jupyter notebook
```

TensorFlow, scikit-learn, numpy, matplotlib, pillow 와 Jupyter 를 설치하고, 이 폴더에서 Jupyter 를
엽니다 (다른 편집기도 괜찮습니다). 새 창에서는 `activate` 줄을 다시 실행하세요. / This installs
TensorFlow, scikit-learn, NumPy, matplotlib, pillow and Jupyter; `jupyter notebook` opens this
folder in the browser (any editor works too). In a new window, run the `activate` line again.

{korean} / {english}

## 2. TODO 채우기 / Fill in the TODOs

각 TODO 는 `# TODO n: ...` 줄과 `# TODO n 끝` 줄 사이에 있습니다. `raise SystemExit(...)` 줄을 지우고
그 자리에 코드를 쓰세요. 표시 줄과 힌트는 남겨 두세요. 슬라이드에 코드가 있는 TODO 는 슬라이드의 줄을
그대로 옮겨 써도 됩니다. **저장은 필수!** / Each TODO sits between a `# TODO n: ...` line and a
`# TODO n 끝` line: delete its `raise SystemExit(...)` line and write your code in its place; keep
the marks and hints. Where the slide shows the code, its lines typed as printed are right.
**Save the file!**

{table}

## 3. 확인 / Check

```
python -m aelab.workshop check
```

TODO 마다 `ok`, `not filled in yet (saved?)`, 또는 무엇이 틀렸는지 한 줄로 알려 줍니다 (인터넷 필요
없음, 1분 안쪽). 몇 개만 확인하려면 `--todo 4 5 6`. / Prints one line per TODO: `ok`, `not filled in
yet (saved?)`, or what is wrong (no internet, well under a minute); `--todo 4 5 6` checks only
those. 끝나지 않는 TODO 는 60초 뒤 `still running` 으로 표시됩니다 (`--timeout`). / A TODO whose
lines never end is marked `still running` after 60 s (`--timeout`).

## 4. 실행 / Run (슬라이드 순서 / in the slides' order)

Jupyter 에서: 노트북 {notebook_names} 를 차례로 엽니다. 노트북마다 그 부분의 TODO 를 확인하고, 스크립트를
실행하고 (`%run`), 그림을 셀 아래에 보여 줍니다. / In Jupyter: open the notebooks {notebook_names} in
turn; each checks its part's TODOs, runs its scripts (`%run`) and shows the figures below the cells.

또는 명령 프롬프트에서 (Windows 도 같습니다, 예: `C:\\practice>python basic_autoencoder.py`) / From a
command prompt instead (the same on Windows):

```
{commands}
```

슬라이드는 1000 epoch 을 학습하지만 (노트북 PC 에서 몇 시간), 실습에서는 `--epochs 20` (몇 분) 이면
충분합니다. 학습 중에는 몇 번째 epoch 인지와 남은 시간이 한 줄로 보입니다. Ctrl-C (Jupyter 에서는 ■) 로
멈추고 같은 명령으로 이어서 학습합니다. / The slides train 1000 epochs (hours on a laptop);
`--epochs 20` (minutes) is enough in class. While a run trains, one line shows the epoch under way
and the time left. Ctrl-C (■ in Jupyter) stops a run; the same command resumes it. `--help` lists
every option.

## 5. 제출 / Hand in

이 폴더에서 (가상 환경을 켠 채로) 한 줄이면 제출할 zip 이 만들어집니다. `.venv`, 실행 폴더 (`*_logs`),
데이터 (`mnist/data`), 캐시는 빠집니다: 모두 여러분이 쓴 것이 아니고, `.venv` 하나만 해도 수 GB 입니다.
폴더 이름 그대로 폴더 옆에 저장됩니다 (`practice` 이면 `practice.zip`); 강사가 정한 이름이 있으면
`--out 학번_이름.zip` 으로 정하세요. / One line in this folder (with the virtual environment
active) makes the zip to hand in, without `.venv`, the run folders (`*_logs`), the data
(`mnist/data`) and caches: none of them is your work, and `.venv` alone is gigabytes. It is
written beside the folder, named for it (`practice` gives `practice.zip`); `--out NAME.zip` names
it as your instructor asks.

```
python -m aelab.workshop pack
```

명령 없이 / Without the kit's command, in this folder:

- Windows 10, 11 (명령 프롬프트나 PowerShell / Command Prompt or PowerShell):
  `tar -a -cf ..\\practice.zip --exclude .venv --exclude mnist --exclude "*_logs" --exclude __pycache__ .`
- macOS: `tar -a -cf ../practice.zip --exclude .venv --exclude mnist --exclude "*_logs" --exclude __pycache__ .`
- Linux: `cd .. && zip -r practice.zip practice -x "practice/.venv/*" "practice/mnist/*" "*_logs/*" "*/__pycache__/*"`

폴더 이름이 `practice` 가 아니면 그 이름으로 바꾸세요. 탐색기에서는 `.venv`, `mnist`, `*_logs` 를 뺀
나머지를 모두 선택하고 "보내기 > 압축(ZIP) 폴더" 를 고릅니다. TODO 가 있는 파일만 올려도 채점됩니다. /
Where the folder is not called `practice`, put its name instead. In Explorer: select everything
but `.venv`, `mnist` and the `*_logs` folders, then "Send to > Compressed (zipped) folder". A zip
of only the files with TODOs is graded as well.

## 6. 참고 / Notes

- 기본 오토인코더의 재구성 이미지에 밝은 점 / Bright dots in the basic autoencoder's
  reconstructions: 몇몇 픽셀이 모든 재구성에서 1 (흰색/노란색) 근처에 머뭅니다. 슬라이드의 코드가 가중치와
  편향을 `tf.random_normal` (표준편차 1) 로 시작해서, 첫 epoch 에 어떤 출력 sigmoid 가 1 쪽으로 포화되고
  그 기울기가 거의 0 이 되기 때문입니다. epoch 이 지나면서 대부분 줄어들지만 (20 epoch 에서 약 25 개,
  100 epoch 에서 약 17 개) 몇 개는 남고, 가중치를 10 배 작게 (`stddev=0.1`) 시작하면 생기지 않습니다. 틀린
  답이 아닙니다. / A few pixels stay near 1 in every reconstruction. The slide's code starts its
  weights and biases with `tf.random_normal` (standard deviation 1), so in the first epoch some
  output sigmoids saturate at 1, where their gradient is next to nothing. Most fade with more
  epochs (about 25 after 20 epochs, 17 after 100), a few stay; started ten times smaller
  (`stddev=0.1`) there are none. It is not a mistake in your lines.
- 이 자료는 MIT 라이선스입니다 (`LICENSE`): 복사, 수정, 배포할 수 있고, 라이선스 문구는 남겨 두세요. /
  This material is under the MIT licence (`LICENSE`): copy, change and hand it out, keeping the
  licence's notice.
"""
