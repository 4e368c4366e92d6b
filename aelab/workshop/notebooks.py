"""The handout's notebooks: one per lab part, in the slides' order, written by `make`.

Each notebook says which slide section it follows and which TODOs, in which
files, the student fills in (the blanks stay in the .py files), checks just
those TODOs, and runs the lab scripts as the slides do, with `%run` in place
of `python` at a command prompt: the slides' lines stream into the cell and
the figures show below it. A settings cell holds the classroom settings. The
notebooks are generated from the kit (its TODOs, its scripts' own summaries,
its run folders' names), hold no outputs and no answers, and are the same in
a handout and its solution.
"""

import collections
import os

import nbformat
from nbformat import v4

from aelab import kinds
from aelab.workshop.source import files_of
from aelab.workshop.todos import TODOS

CLASS_EPOCHS = 20  # what the instructor notes recommend: the slides' 1000 take hours on a laptop
# On a slow laptop: the same epochs, shorter. The fewest steps after which the autoencoder's
# test error still beats PCA's with a margin (docs/workshop.md, "Short settings", measured).
SLOW_LAPTOP = "--steps-per-epoch 150"
DEEP_LOGDIR = kinds.AUTOENCODER.default_logdir(2)
DENOISING_LOGDIR = kinds.DENOISING_AUTOENCODER.default_logdir(2)
CONV_LOGDIR = kinds.CONV_AUTOENCODER.default_logdir(2)
SPARSE_LOGDIR = kinds.SPARSE_AUTOENCODER.default_logdir(256)
VAE_LOGDIR = kinds.VARIATIONAL_AUTOENCODER.default_logdir(2)

# A part of the lab: the key its TODOs name (source.Todo.part), its notebook, its Korean and
# English titles, its Commands ({epochs} and {options} come from the settings cell), and its
# notebook's first sentence, Korean and English, where it follows no section of the slides.
Part = collections.namedtuple("Part", "key notebook korean english commands lead", defaults=(None,))
# A script a part runs: its arguments in the notebook, the slide's command, what it shows.
Command = collections.namedtuple("Command", "script arguments slide shows")

PARTS = (
    Part("basic", "1_basic_autoencoder.ipynb", "Basic autoencoder 실습", "Basic autoencoder",
         [Command("basic_autoencoder.py", "{options}", "python basic_autoencoder.py",
                  "`Epoch: 0001 Avg. cost = ...` 한 줄씩, `최적화 완료!`, 그리고 원본(위)과 재구성(아래) "
                  "이미지 / a line per epoch, `최적화 완료!`, then the test images (top) and their "
                  "reconstructions (bottom)")]),
    Part("deep", "2_deep_autoencoder.ipynb", "Deep autoencoder 실습", "Deep autoencoder",
         [Command("autoencoder_mnist.py", "2 --epochs {epochs} {options}",
                  "python autoencoder_mnist.py 2",
                  "epoch 마다 `Epoch: ... cost = ...` 와 `Validation Loss: ...`, 끝에 `Test Loss:` 와 "
                  "손실값 변화 그래프 / per epoch `Epoch: ... cost = ...` and `Validation Loss: ...`, "
                  "at the end `Test Loss:` and the loss curve"),
          Command("ae_vs_pca.py", DEEP_LOGDIR, f"python ae_vs_pca.py {DEEP_LOGDIR}",
                  "PCA 와 비교한 표, 코드 분포, 재구성 이미지, 2차원 코드의 매니폴드 / the table "
                  "against PCA, the codes, the reconstructions and the manifold of the 2-number "
                  "code")]),
    Part("denoising", "3_denoising_autoencoder.ipynb", "Denoising autoencoder 실습",
         "Denoising autoencoder",
         [Command("denoising_autoencoder_mnist.py", "2 --epochs {epochs} {options}",
                  "python denoising_autoencoder_mnist.py 2",
                  "deep autoencoder 와 같은 줄들 (손상된 입력으로 잰 손실) / the same lines as the deep "
                  "autoencoder (losses measured on corrupted input)"),
          Command("dn_ae_test.py", DENOISING_LOGDIR, f"python dn_ae_test.py {DENOISING_LOGDIR}",
                  "원본 / 손상된 이미지 / 재구성 이미지, 그리고 손상이 코드를 얼마나 옮기는지 / original, "
                  "corrupted and reconstructed images, and how far the damage moves the codes")]),
    Part("beyond", "4_beyond_the_slides.ipynb", "슬라이드 너머: 합성곱, 희소, 변분 오토인코더",
         "Past the slides: convolutional, sparse and variational autoencoders",
         [Command("conv_autoencoder_mnist.py", "2 --epochs {epochs} {options}",
                  "python conv_autoencoder_mnist.py 2",
                  "deep autoencoder 와 같은 줄들 (합성곱이라 epoch 이 더 오래 걸립니다) / the deep "
                  "autoencoder's lines (a convolution's epochs take longer)"),
          Command("ae_vs_pca.py", CONV_LOGDIR, f"python ae_vs_pca.py {CONV_LOGDIR}",
                  "PCA 와 비교한 표, 코드 분포, 재구성 이미지, 매니폴드 / the table against PCA, the "
                  "codes, the reconstructions and the manifold"),
          Command("sparse_autoencoder_mnist.py", "--epochs {epochs} {options}",
                  "python sparse_autoencoder_mnist.py",
                  "epoch 마다 cost 와 은닉 유닛의 평균 활성값 / per epoch the cost and the hidden "
                  "units' mean activation"),
          Command("ae_vs_pca.py", SPARSE_LOGDIR, f"python ae_vs_pca.py {SPARSE_LOGDIR}",
                  "PCA 와 비교한 표, 28x28 타일로 그린 은닉 유닛과 활성값 히스토그램 / the table against "
                  "PCA, the hidden units drawn as 28x28 tiles and the histogram of their "
                  "activations"),
          Command("variational_autoencoder_mnist.py", "2 --epochs {epochs} {options}",
                  "python variational_autoencoder_mnist.py 2",
                  "epoch 마다 cost (음의 ELBO) 와 그 두 부분, 재구성과 KL / per epoch the cost (the "
                  "negative ELBO) and its two parts, the reconstruction and the KL"),
          Command("ae_vs_pca.py", VAE_LOGDIR, f"python ae_vs_pca.py {VAE_LOGDIR}",
                  "클래스별 색의 테스트 코드, 사전분포의 분위수 격자에서 디코딩한 매니폴드, 사전분포에서 "
                  "뽑은 이미지 / the test codes coloured by class, the manifold decoded from a grid "
                  "of the prior's quantiles, images sampled from the prior")],
         ("슬라이드 다음 단계의 실습입니다: 슬라이드에는 없는 세 모델을 슬라이드와 같은 방식 (그래프, "
          "세션, epoch 마다 같은 줄) 으로 학습합니다.",
          "A lab past the slides: three models the slides do not train, trained in the slides' "
          "way (a graph, a session, the same lines each epoch).")),
)


# What each dataset a handout may hold is, for its README and notebooks: (Korean, English).
DATA_SAID = {
    "fashion": ("데이터는 `mnist/data/` 에 들어 있는 **Fashion-MNIST** 입니다: 슬라이드의 손글씨 숫자 대신 "
                "옷과 신발 사진 10 종류 (티셔츠, 바지, 스웨터, 드레스, 코트, 샌들, 셔츠, 운동화, 가방, "
                "앵클부츠) 가 나옵니다. 크기와 형식은 MNIST 와 같고, 인터넷 없이 실행됩니다. 학습 결과 "
                "폴더 이름은 슬라이드 그대로 `mnist_...` 입니다.",
                "The data, in `mnist/data/`, is **Fashion-MNIST**: the pictures are clothes and shoes "
                "of ten kinds (T-shirt, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, "
                "ankle boot), not the slides' handwritten digits. It has MNIST's sizes and format, and "
                "needs no internet. The run folders keep the slides' names, `mnist_...`."),
    "mnist": ("데이터 (MNIST 손글씨 숫자) 는 `mnist/data/` 에 들어 있어 인터넷 없이 실행됩니다.",
              "The data (MNIST's handwritten digits) is in `mnist/data/`: no internet needed."),
    None: ("처음 실행할 때 MNIST 를 `mnist/data/` 로 내려받습니다 (인터넷 필요).",
           "The first run downloads MNIST into `mnist/data/` (internet needed)."),
}


def numbers(part):
    """The numbers of the TODOs the part's notebook checks: those that name it."""
    return tuple(todo.number for todo in TODOS if todo.part == part.key)


def class_commands():
    """The scripts of every part, as the handout's README lists them for a command prompt, with
    the classroom's epochs."""
    return [f"python {c.script} {c.arguments}".format(epochs=CLASS_EPOCHS, options="").strip()
            for part in PARTS for c in part.commands]


def todo_table(numbers):
    """The markdown table of the TODOs with these numbers: slide section, files and functions."""
    rows = ["| TODO | 슬라이드 / slide | 파일 / file |", "|---|---|---|"]
    for todo in TODOS:
        if todo.number in numbers:
            where = ", ".join(dict.fromkeys(f"`{r.file.replace(os.sep, '/')}` `{r.function}()`"
                                            for r in todo.regions))
            rows.append(f"| {todo.number} | {todo.title} | {where} |")
    return "\n".join(rows)


def build(part, data=None):
    """The notebook of one lab part (an item of PARTS); data: the dataset the handout holds
    ("fashion", "mnist") or None."""
    name, korean, english, commands = part.notebook, part.korean, part.english, part.commands
    lead = part.lead or (f"슬라이드의 \"{english}\" 부분을 따라갑니다.",
                         f"This notebook follows the slides' \"{english}\" section.")
    todos = numbers(part)
    files = list(dict.fromkeys(f for n in todos for f in files_of(TODOS[n - 1])))
    trains = any("{epochs}" in command.arguments for command in commands)
    todo_list = " ".join(map(str, todos))
    cells = [
        v4.new_markdown_cell(
            f"# {korean} / {english}\n\n"
            f"{lead[0]} 아래 TODO 를 **파일에서** 채웁니다: "
            f"Jupyter 의 파일 목록에서 {', '.join(f'`{f}`'.replace(os.sep, '/') for f in files)} 를 "
            f"열고, `# TODO n: ...` 줄과 `# TODO n 끝` 줄 사이의 `raise SystemExit(...)` 줄을 지운 "
            f"자리에 코드를 쓰고, **저장**한 뒤 이 노트북의 셀을 차례로 실행하세요.\n\n"
            f"{lead[1]} The TODOs below are filled "
            f"in **in the files**: open {', '.join(f'`{f}`'.replace(os.sep, '/') for f in files)} "
            f"from Jupyter's file list, replace the `raise SystemExit(...)` line between a "
            f"`# TODO n: ...` line and its `# TODO n 끝` line with your code, **save**, then run "
            f"this notebook's cells in order.\n\n{todo_table(todos)}\n\n"
            f"{DATA_SAID[data][0]} / {DATA_SAID[data][1]}"),
        v4.new_markdown_cell(
            "## 설정 / Settings\n\n" + (
                f"수업 설정입니다 (슬라이드는 1000 epoch 을 학습하지만 실습에는 {CLASS_EPOCHS} epoch 이면 "
                f"충분합니다). 느린 노트북에서는 `options = \"{SLOW_LAPTOP}\"`: 시간은 약 1/3 이고, "
                f"autoencoder 는 여전히 PCA 보다 잘 복원합니다. / The classroom settings: the slides "
                f"train 1000 epochs, {CLASS_EPOCHS} are enough in class. On a slow laptop, `options = "
                f"\"{SLOW_LAPTOP}\"`: about a third of the time, and the autoencoder still "
                f"reconstructs better than PCA." if trains else
                "슬라이드 그대로 20 epoch 을 학습합니다. 더 짧게: `options = \"--epochs 5\"`. / As "
                "on the slides: 20 epochs; shorter: `options = \"--epochs 5\"`.")),
        v4.new_code_cell((f"epochs = {CLASS_EPOCHS}\n" if trains else "") + "options = \"\""),
        v4.new_markdown_cell(
            f"## 확인 / Check: TODO {todo_list}\n\n명령 프롬프트의 `python -m aelab.workshop check "
            f"--todo {todo_list}` 와 같습니다. / The same as `python -m aelab.workshop check --todo "
            f"{todo_list}` at a command prompt."),
        v4.new_code_cell(f"%run -m aelab.workshop check --todo {todo_list}"),
    ]
    said = ("명령 프롬프트에서는", "at a command prompt") if part.lead else ("슬라이드의 명령", "the slides' command")
    for script, arguments, command, shows in commands:
        trains = "{epochs}" in arguments
        cells += [
            v4.new_markdown_cell(
                f"## 실행 / Run: `{script}`\n\n{said[0]} / {said[1]}: `{command}`.\n\n"
                f"보이는 것 / what shows: {shows}." + (
                    "\n\n■ 를 누르면 지금 step 이 끝난 뒤 멈추고 (끝난 epoch 은 남습니다), 아래 셀들은 "
                    "실행되지 않습니다 (Run All 도 여기서 멈춥니다). 같은 셀을 다시 실행하면 이어서 "
                    "학습합니다. / ■ stops it after the current step, as Ctrl-C does, keeping the "
                    "finished epochs, and Run All stops there: the cells below do not run on a "
                    "half-trained model. Running the cell again resumes." if trains else "")),
            v4.new_code_cell(f"%run {script} {arguments}".rstrip()),
        ]
    return name, _notebook(cells, name.split("_")[0])


def _notebook(cells, prefix):
    """A Python 3 notebook of cells, their ids prefix-0, prefix-1, ...: the same at every make."""
    for index, cell in enumerate(cells):
        cell.id = f"{prefix}-{index}"
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


ANOMALY_NOTEBOOK = "optional_anomaly_detection.ipynb"
# The optional part's settings cell, and how a ROC curve reads (Korean, English).
ANOMALY_SETTINGS = "epochs = 5\nnormal_class = 1\noptions = \"\""
ROC_READING = (
    "## ROC 곡선 읽기\n\n모델은 시험 이미지마다 점수 (재구성 오차) 를 줍니다. 어떤 문턱값보다 점수가 크면 "
    "'이상' 이라고 판정한다고 합시다. 문턱값을 아주 높은 값에서 낮은 값으로 내리면서, 가로축에는 정상 이미지 "
    "(학습한 클래스) 가운데 이상으로 잘못 판정된 비율 (false positive rate), 세로축에는 이상 이미지 (다른 "
    "클래스) 가운데 이상으로 맞게 판정된 비율 (true positive rate) 을 찍은 것이 ROC 곡선입니다. 곡선이 왼쪽 "
    "위 모서리에 붙을수록 좋은 점수이고, 점선 대각선은 동전 던지기 (우연) 입니다. 곡선 아래 넓이 AUROC 는 "
    "'무작위로 고른 이상 이미지의 점수가 무작위로 고른 정상 이미지의 점수보다 클 확률' 이어서, 0.5 는 우연, "
    "1 은 완벽한 구분입니다. 문턱값 하나를 고르면 (TF 튜토리얼처럼 학습 오차의 평균 + 표준편차 1 배) 곡선 위의 "
    "한 점이 되고, 그 점의 정밀도 (precision: 이상이라고 한 것 중 진짜 이상) 와 재현율 (recall: 진짜 이상 중 "
    "찾아낸 것) 이 점수 분포 그림에 적혀 있습니다.\n\n"
    "## Reading an ROC curve\n\nThe model gives each test image a score (its reconstruction "
    "error); say an image is flagged anomalous when its score is above a threshold. Lower the "
    "threshold from very high to very low and plot, for each value, the share of normal images "
    "(the class trained on) wrongly flagged (the false positive rate, across) against the share "
    "of anomalous images (the other classes) rightly flagged (the true positive rate, up): that "
    "is the ROC curve. The closer it hugs the top left corner, the better the score; the dotted "
    "diagonal is a coin toss. The area under it, the AUROC, is the chance that a randomly chosen "
    "anomalous image scores above a randomly chosen normal one: 0.5 is chance, 1 a perfect "
    "split. One threshold (the TF tutorial's: the training error's mean plus one standard "
    "deviation) is one point of the curve; its precision (of the images flagged, the share truly "
    "anomalous) and recall (of the anomalous images, the share flagged) are written on the score "
    "distribution figure.")
RECOMPUTE = """import csv, glob, os
from sklearn.metrics import roc_auc_score

path = max(glob.glob(f"anomaly_*_logs/class={normal_class}/anomaly_scores*_epoch*.csv"), key=os.path.getmtime)
with open(path, newline="") as f:
    rows = list(csv.DictReader(f))
anomalous = [int(row["label"]) != normal_class for row in rows]
for column in ("score", "pca_score"):
    print(column, f"{roc_auc_score(anomalous, [float(row[column]) for row in rows]):.4f}")"""


def anomaly_notebook(data=None):
    """The optional part past the slides (the tutorial's 활용): one class of anomaly_detection.py
    and its pictures, with how an ROC curve reads; it checks no TODO."""
    cells = [
        v4.new_markdown_cell(
            "# 선택: 오토인코더로 이상 탐지 / Optional: anomaly detection with an autoencoder\n\n"
            "튜토리얼 제목의 '활용' 입니다. Deep autoencoder 를 한 클래스 (정상) 의 학습 이미지로만 학습한 "
            "뒤, 모든 시험 이미지를 재구성 오차로 점수 매깁니다: 본 적 없는 다른 클래스 (이상) 는 점수가 "
            "커야 합니다. Deep autoencoder 의 TODO 를 채운 뒤에 실행하세요. 슬라이드에는 없는 부분이고, "
            "채울 TODO 는 없습니다.\n\nThe \"application\" (활용) of the tutorial's title. The deep "
            "autoencoder learns from the training images of one class (the normal one) only; then "
            "every test image is scored by its reconstruction error: the other classes (the "
            f"anomalies), never seen, should score higher. Run it once the deep autoencoder's TODOs "
            f"are filled in. It is past the slides, and has no TODO.\n\n{DATA_SAID[data][0]} / "
            f"{DATA_SAID[data][1]}"),
        v4.new_markdown_cell(
            "## 설정 / Settings\n\n정상 클래스 (0-9), epoch 수, 덧붙일 옵션. `options = \"--score smoothed\"` "
            "는 점수를 바꿉니다: 오차 이미지를 이웃 픽셀과 함께 흐리게 하고, 픽셀마다 정상 학습 이미지에서의 평소 "
            "오차로 나눕니다 (Fashion-MNIST 10 클래스, 20 epoch 의 평균 AUROC: 재구성 오차 0.910, smoothed "
            "0.932). / The normal class (0-9), the epochs and any further options. `options = "
            "\"--score smoothed\"` changes the score: the error image is blurred over neighbouring "
            "pixels, and each pixel is counted in units of its usual error on the normal training "
            "images (Fashion-MNIST, mean AUROC of the ten classes after 20 epochs: reconstruction error "
            "0.910, smoothed 0.932)."),
        v4.new_code_cell(ANOMALY_SETTINGS),
        v4.new_markdown_cell(
            "## 실행 / Run: `anomaly_detection.py`\n\n명령 프롬프트에서는 / at a command prompt: "
            "`python anomaly_detection.py --normal-class 1 --epochs 5`.\n\n보이는 것 / what shows: "
            "학습 줄들, ROC 곡선 (autoencoder 와 PCA), 가장 이상한 / 가장 정상적인 시험 이미지, 점수 분포와 "
            "문턱값, 마지막 줄 `AUROC (class 1 normal): autoencoder ..., PCA ...` / the training lines, the "
            "ROC curves (autoencoder and PCA), the most and least anomalous test images, the score "
            "distributions with the threshold, and last `AUROC (class 1 normal): autoencoder ..., "
            "PCA ...`. ■ 로 멈추고, 다시 실행하면 이어서 학습합니다. / ■ stops it; running the cell "
            "again resumes."),
        v4.new_code_cell("%run anomaly_detection.py --normal-class {normal_class} --epochs {epochs} {options}"),
        v4.new_markdown_cell(ROC_READING),
        v4.new_markdown_cell(
            "## 직접 계산 / Recompute it\n\n점수는 CSV (index, label, score, pca_score) 로 저장되어, "
            "누구나 AUROC 를 다시 계산할 수 있습니다. / The scores are saved as a CSV (index, label, "
            "score, pca_score), so anyone can recompute the AUROC."),
        v4.new_code_cell(RECOMPUTE),
    ]
    return ANOMALY_NOTEBOOK, _notebook(cells, "anomaly")


def write(folder, data=None):
    """Writes every part's notebook into the handout folder, and the optional anomaly detection's."""
    for part in PARTS:
        name, notebook = build(part, data)
        nbformat.write(notebook, os.path.join(folder, name))
    name, notebook = anomaly_notebook(data)
    nbformat.write(notebook, os.path.join(folder, name))
