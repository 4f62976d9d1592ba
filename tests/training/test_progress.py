"""framework.training.progress: one redrawn line on a terminal, a few plain lines elsewhere."""
import io

import pytest

from framework.training.progress import Progress


class FakeClock:
    def __init__(self, step=0.5):
        self.now = 0.0
        self.step = step

    def __call__(self):
        self.now += self.step
        return self.now


class TTY(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    with Progress(1000, desc="epoch 1", stream=stream) as bar:
        for i in range(1000):
            bar.update(cost=-60.0 + i / 1000)
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) <= 11
    assert all(line.startswith("epoch 1: ") for line in lines)
    assert "100/1000" in lines[0] and "cost=" in lines[0] and "batch/s" in lines[0]
    assert lines[-1].startswith("epoch 1: done 1000/1000 in ")
    assert "cost=-59" in lines[-1]


@pytest.mark.parametrize("total", [1, 3, 7, 10, 19, 60, 2500])
def test_at_most_about_ten_lines_for_any_total(total):
    stream = io.StringIO()
    with Progress(total, stream=stream) as bar:
        for _ in range(total):
            bar.update()
    lines = stream.getvalue().splitlines()
    assert 1 <= len(lines) <= 11
    assert "done" in lines[-1]


def test_every_and_bulk_updates():
    stream = io.StringIO()
    with Progress(100, stream=stream, every=25) as bar:
        bar.update(30)
        bar.update(30)
        bar.update(40)
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["30/100", "60/100"]
    assert "done 100/100" in lines[-1]


def test_terminal_redraws_one_line():
    stream = TTY()
    clock = FakeClock(step=0.5)
    with Progress(60, desc="epoch 2", stream=stream, clock=clock) as bar:
        for _ in range(60):
            bar.update(cost=1.23456789)
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    frames = text.rstrip("\n").split("\r")[1:]
    assert len(frames) >= 60  # the clock advances past min_interval every call
    assert "epoch 2: 60/60 [100%]" in frames[-1]
    assert "cost=1.235" in frames[-1]
    assert "batch/s" in frames[-1]


def test_terminal_throttles_redraws():
    stream = TTY()
    with Progress(10000, stream=stream, clock=FakeClock(step=1e-4), min_interval=0.1) as bar:
        for _ in range(10000):
            bar.update()
    assert stream.getvalue().count("\r") < 100


def test_rate_and_elapsed_use_the_clock():
    clock = FakeClock(step=0.5)
    bar = Progress(10, stream=io.StringIO(), clock=clock)  # start at t=0.5
    for _ in range(4):
        bar.update()
    clock.now = 2.5  # 2 s after the start
    clock.step = 0.0
    assert bar.elapsed == pytest.approx(2.0)
    assert bar.rate == pytest.approx(2.0)
    bar.close()


def test_interrupted_run_says_so():
    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with Progress(50, desc="epoch 3", stream=stream) as bar:
            for i in range(50):
                if i == 20:
                    raise KeyboardInterrupt
                bar.update()
    assert "epoch 3: interrupted at 20/50" in stream.getvalue().splitlines()[-1]


def test_unknown_total():
    stream = io.StringIO()
    with Progress(None, stream=stream, every=5) as bar:
        for _ in range(12):
            bar.update()
    lines = stream.getvalue().splitlines()
    assert lines[0].split()[0] == "5" and "%" not in lines[0]
    assert "done 12 in" in lines[-1]


def test_update_after_close_and_bad_arguments():
    bar = Progress(3, stream=io.StringIO())
    bar.close()
    bar.close()  # idempotent
    with pytest.raises(RuntimeError):
        bar.update()
    with pytest.raises(ValueError):
        Progress(-1)
    with pytest.raises(ValueError):
        Progress(3, every=0)


def test_broken_stream_does_not_stop_training():
    stream = io.StringIO()
    bar = Progress(5, stream=stream, every=1)
    stream.close()
    for _ in range(5):
        bar.update()
    bar.close()


def test_restart_counts_again_on_the_same_line():
    class TTY(io.StringIO):
        def isatty(self):
            return True

    stream = TTY()
    bar = Progress(4, desc="epoch 1/2", stream=stream, every=4, min_interval=0)
    for _ in range(4):
        bar.update()
    bar.summarize()
    bar.restart(4, desc="epoch 2/2")
    for _ in range(4):
        bar.update()
    bar.close()
    text = stream.getvalue()
    assert text.count("\n") == 1 and "epoch 2/2: 4/4" in text.split("\r")[-1]

    plain = io.StringIO()
    bar = Progress(4, desc="epoch 1/2", stream=plain, every=4)
    for epoch in (1, 2):
        bar.restart(4, desc=f"epoch {epoch}/2")
        for _ in range(4):
            bar.update()
        bar.summarize()
    bar.close()
    assert [line.split(":")[0] for line in plain.getvalue().splitlines()] == ["epoch 1/2", "epoch 2/2"]


def test_a_terminal_line_never_wraps(monkeypatch):
    import os

    class TTY(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=(120, 24): os.terminal_size((40, 24)))
    stream = TTY()
    with Progress(10, desc="epoch 12/15", stream=stream, min_interval=0) as bar:
        for _ in range(10):
            bar.update(pseudo_log_likelihood=-18.123456)
    assert all(len(frame.rstrip("\n")) <= 39 for frame in stream.getvalue().split("\r"))
