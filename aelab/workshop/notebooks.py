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
                f"충분합니다). 느린 노트북에서는 `options = \"--steps-per-epoch 50\"`. / The classroom "
                f"settings: the slides train 1000 epochs, {CLASS_EPOCHS} are enough in class; on a "
                f"slow laptop, `options = \"--steps-per-epoch 50\"`." if trains else
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
                    "\n\n멈추려면 ■ (Ctrl-C 와 같습니다); 같은 셀을 다시 실행하면 이어서 학습합니다. / "
                    "■ stops it, as Ctrl-C does; running the cell again resumes." if trains else "")),
            v4.new_code_cell(f"%run {script} {arguments}".rstrip()),
        ]
    for index, cell in enumerate(cells):  # ids that are the same at every make
        cell.id = f"{name.split('_')[0]}-{index}"
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return name, notebook


def write(folder, data=None):
    """Writes every part's notebook into the handout folder."""
    for part in PARTS:
        name, notebook = build(part, data)
        nbformat.write(notebook, os.path.join(folder, name))
