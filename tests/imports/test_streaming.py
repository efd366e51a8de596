"""A big file is read from storage as a stream on every pass: the import's memory does not grow with the file."""
import tracemalloc

from campaigns import imports


def test_an_import_holds_far_less_than_the_file_in_memory(campaign):
    notes = "n" * 2500
    rows = "".join(f"20155{i // 10000 % 10}{i % 10000:04d},Lead {i},{notes}\n" for i in range(4000))
    data = ("Phone,Name,Notes\n" + rows).encode()
    started = imports.start_import(campaign, data, "big.csv")
    del data, rows

    tracemalloc.start()
    try:
        result = imports.run_import(started.pk, chunk_rows=50)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (result.status, result.imported) == ("done", 4000)
    file_size = started.file.size
    assert file_size > 10_000_000
    assert peak < file_size / 3, f"peak {peak} bytes for a {file_size}-byte file"
