"""Waits until a portal's media library has no start-up work left (bench scripts).

A first start moves the sample's images out of the database and makes their variants in the
background, on the servers' core; measured alongside, it took a third off nginx's first round.

    python3 bench/media-settled.py DATA/sen.db
"""

import sqlite3
import sys
import time

db_path = sys.argv[1]
start = time.time()
while True:
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        legacy = db.execute("SELECT COUNT(*) FROM media").fetchone()[0]
        pending = db.execute(
            "SELECT COUNT(*) FROM media_files WHERE variants_state = 'pending'"
        ).fetchone()[0]
        stored = db.execute("SELECT COUNT(*) FROM media_files").fetchone()[0]
        db.close()
        if legacy == 0 and pending == 0 and stored > 0:
            break
        busy = f"{legacy} in the database, {pending} waiting"
    except sqlite3.Error as err:
        busy = str(err)
    if time.time() - start > 120:
        sys.exit(f"the media library is still busy after 120 s ({busy})")
    time.sleep(0.2)
print(f"   the media library's start-up work done after {time.time() - start:.1f}s more")
