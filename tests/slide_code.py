"""The slides' own code for the TODOs, and typing it into a handout as a student would.

The code comes from the slides' text: ../shared/seed/kcc2019_autoencoder_tutorial.md
where this kit sits beside it, else tests/slides/kcc2019_lab_half.md, a verbatim
copy of its lab half (실습) kept with the tests. Only the damage that turning
the slides into text did is mended here (a lost underscore, a broken indent);
every other character is as printed.
"""

import os
import re

from aelab.workshop.source import files_of, marks
from aelab.workshop.todos import TODOS

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(HERE, "..", "..", "shared", "seed", "kcc2019_autoencoder_tutorial.md")
COPY = os.path.join(HERE, "slides", "kcc2019_lab_half.md")

# What the slides' text lost (its OCR), and what the slide shows.
OCR_DAMAGE = [(r"tf\.variable scope\(", "tf.variable_scope("),
              (r'"hidden (\d)"', r'"hidden_\1"')]


def lab_text():
    """The lab half of the slides: from the seed where it is here, else the copy beside the tests."""
    with open(COPY, encoding="utf-8") as f:
        copy = f.read()
    if os.path.isfile(SEED):
        with open(SEED, encoding="utf-8") as f:
            seed = f.read()
        return seed[seed.index(copy.splitlines()[0]):]
    return copy


def code_after(heading):
    """The lines of the first code block after the line that starts with `heading`."""
    text = lab_text()
    after = text[text.index("\n" + heading) + 1:]
    block = re.search(r"^```\n(.*?)^```", after, re.M | re.S).group(1)
    return block.rstrip("\n").split("\n")


def mended(line):
    for damage, repair in OCR_DAMAGE:
        line = re.sub(damage, repair, line)
    return line


def scope_body(lines):
    """encoder() or decoder() as the slide shows it, without its def line, indented by its
    structure (the slide's text lost the indents): the outer scope, the layer scopes in it,
    each layer in its scope, then the return."""
    body = []
    for line in (mended(line).strip() for line in lines[1:]):
        outer = re.match(r'with tf\.variable_scope\("(encoder|decoder)"\):', line)
        depth = 0 if outer or line.startswith("return") else 1 if line.startswith("with") else 2
        body.append("    " * depth + line)
    return body


def slide_answers():
    """{TODO number: [lines for each of its regions]}: what the slides show for each TODO."""
    training = code_after("❖ 모델 학습시키기 – autoencoder\\_mnist.py")
    denoising = code_after("#### loss function – denoising\\_autoencoder\\_mnist.py")
    split = denoising.index("#############################")
    return {
        2: [code_after("#### ❖ 모델 학습시키기 - 손실 함수와 최적화 함수 설정")],
        3: [code_after("#### ❖ 모델 테스트 해보기 – matplotlib을 이용한 이미지 출력")],
        5: [scope_body(code_after("❖ 인코더 구현하기 – autoencoder\\_mnist.py")),
            scope_body(code_after("❖ 디코더 구현하기 – autoencoder\\_mnist.py"))],
        7: [[line.strip() for line in training[3:7]]],  # the four lines of the minibatch loop
        9: [denoising[:split]],
        10: [denoising[split + 1:]],
    }


def type_into(folder, number, regions):
    """Replaces the code between TODO `number`'s marks (its hints stay) with the given lines,
    region by region in the order of the TODO's files and of the marks in each, at each
    region's indent, as a student types them over the stub."""
    regions = list(regions)
    for path in files_of(TODOS[number - 1]):
        with open(os.path.join(folder, path), encoding="utf-8") as f:
            lines = f.read().split("\n")
        found = marks("\n".join(lines), number)
        typed, regions = regions[:len(found)], regions[len(found):]
        for (start, inner), code in reversed(list(zip(found, typed))):
            indent = re.match(r"\s*", lines[start - 2]).group(0)
            hints = [line for line in inner if line.strip().startswith("#")]
            lines[start - 1:start - 1 + len(inner)] = hints + [indent + line if line.strip() else ""
                                                               for line in code]
        with open(os.path.join(folder, path), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
    assert not regions, f"TODO {number}: regions left over"
