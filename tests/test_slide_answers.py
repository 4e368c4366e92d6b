"""The slide is the answer key: each TODO filled with its slide's own lines is ok, and the
scripts run with them (issue: a student who types a slide's lines into its TODO gets ok)."""

import os
import shutil

import numpy as np
import pytest

from aelab.workshop.todos import TODOS
from running import check_in, run_scripts, student_copy
from slide_code import COPY, SEED, code_after, slide_answers, type_into

SHORT = ["--epochs", 1, "--steps-per-epoch", 3]


def test_the_copy_of_the_slides_is_the_seeds_lab_half():
    if not os.path.isfile(SEED):
        pytest.skip("the seed is not beside this checkout")
    with open(SEED, encoding="utf-8") as f, open(COPY, encoding="utf-8") as g:
        assert g.read() in f.read()


def test_the_slides_show_code_for_todos_2_3_5_7_9_and_10():
    answers = slide_answers()
    assert sorted(answers) == [2, 3, 5, 7, 9, 10]
    assert answers[7][0] == [
        "minibatch_x, minibatch_y = mnist.train.next_batch(batch_size)",
        "__, new_cost, train_summary = sess.run([train_op, cost, train_summary_op],"
        "feed_dict={x: minibatch_x, phase_train: True})",
        "train_writer.add_summary(train_summary, sess.run(global_step))",
        "avg_cost += new_cost/total_batch"]
    assert answers[9][0][1] == "code = encoder(c_x, int(n_code), phase_train)"
    assert answers[5][1][-3:-1] == [  # the slide's decoder names its last scope "code"
        '    with tf.variable_scope("code"):',
        "        output = layer(hidden_3, [n_decoder_hidden_3, 784], [784], phase_train)"]
    assert code_after("#### ❖ 모델 테스트 해보기 – matplotlib을 이용한 이미지 출력")[-1] == "plt.show()"


@pytest.mark.slow
def test_a_handout_filled_from_the_slides_checks_ok_and_runs(solution, tmp_path):
    """The solution with TODOs 2, 3, 5, 7, 9 and 10 typed over from the slides, as printed."""
    from aelab import reload
    folder = student_copy(solution, tmp_path / "student")
    shutil.copytree(solution / "mnist", folder / "mnist")
    for number, regions in slide_answers().items():
        type_into(folder, number, regions)
    model = (folder / "aelab" / "model.py").read_text(encoding="utf-8")
    assert 'with tf.variable_scope("code"):\n            output = layer(hidden_3, ' \
           '[n_decoder_hidden_3, 784], [784], phase_train)' in model

    status, rows, output = check_in(folder)
    assert status == 0 and rows == {todo.number: "ok" for todo in TODOS}, output

    basic, deep, noisy, pca, test = run_scripts(
        folder, ["basic_autoencoder.py", *SHORT], ["autoencoder_mnist.py", 2, *SHORT],
        ["denoising_autoencoder_mnist.py", 2, *SHORT],
        ["ae_vs_pca.py", "mnist_autoencoder_hidden=2_logs", "--no-show"],
        ["dn_ae_test.py", "dn_mnist_autoencoder_hidden=2_logs", "--no-show"])
    for result in (basic, deep, noisy, pca, test):
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert "Warning" not in result.stderr, result.stderr  # plt.show() on no display, say
    assert basic.stdout.splitlines()[-2:] == ["최적화 완료!", "Figure saved: basic_autoencoder.png"]
    assert "\nEpoch: 0001 cost = " in deep.stdout and "Test Loss: " in deep.stdout
    assert "Test Loss: " in noisy.stdout
    # The student's checkpoint, with the slide's scope names, reloads in the kit too.
    trained = reload.load(str(folder / "mnist_autoencoder_hidden=2_logs"))
    assert trained.reconstruct(np.zeros((2, 784), np.float32)).shape == (2, 784)
