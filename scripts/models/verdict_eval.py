"""The bad-case verdict study, run by ``scripts/eval/verdicts``: the mini generator draws the ``test`` set
of ``verdict_study.py`` (evaluation seeds, half of the scenes with a held-out (colour, shape) pair, no
caption shared with the sets the reward heads were tuned or calibrated on), the rule-based checker labels
each image right or wrong, and the reward pack scores it through the Java RewardModel and the scoring
stream's RewardPolicy. Reports the share of checker-wrong images the verdict flags as BAD_CASE (caught)
and the share of checker-right ones it flags (false flags), with 95% Wilson intervals.

    /usr/bin/python3 scripts/models/verdict_eval.py [--images N] [--pack DIR] [--out DIR] [--fixture DIR]
"""

import argparse
import csv
import json
import os
import shutil
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import verdict_study as vs  # noqa: E402


def misread(scene, report):
    """What the checker read otherwise, e.g. "shape square→circle"."""
    out = []
    if report["bg"] != scene["bg"]:
        out.append("background")
    for want, got in zip(scene["objects"], report["objects"]):
        if got is None:
            out.append("object missing")
            continue
        if got["colour"] != want["colour"]:
            out.append("colour")
        if got["shape"] != want["shape"]:
            out.append("shape %s→%s" % (want["shape"], got["shape"]))
        if len(scene["objects"]) == 1 and got["pos"] != want["pos"]:
            out.append("position")
    if scene["text"] and report["text"] != scene["text"]:
        out.append("text")
    return out


def rate(k, n):
    lo, hi = vs.wilson(k, n)
    return {"k": k, "n": n, "rate": k / n if n else float("nan"), "wilson95": [lo, hi]}


def fmt(r):
    return "%d/%d = %.1f%% (95%% CI %.1f-%.1f%%)" % (r["k"], r["n"], 100 * r["rate"], 100 * r["wilson95"][0],
                                                   100 * r["wilson95"][1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=vs.SETS["test"][2], help="test images (default: %(default)s)")
    parser.add_argument("--pack", default=vs.REWARD_PACK, help="reward pack (default: infra/models/mini-reward)")
    parser.add_argument("--out", default=os.path.join(vs.REPO, ".cache", "eval", "verdicts"))
    parser.add_argument("--image-dir", help="where the test images are drawn, or were (default: OUT/images)")
    parser.add_argument("--fixture", help="also copy a smoke fixture (PNGs + checker labels) of --fixture-cases "
                                          "cases into this folder")
    parser.add_argument("--fixture-cases", type=int, default=32)
    args = parser.parse_args()
    started = time.time()
    rows = vs.requests("test", args.images)
    images = args.image_dir or os.path.join(args.out, "images")
    vs.java("draw", vs.GENERATOR_PACK, rows, images)
    drawn = time.time()
    for r in rows:
        r["report"], r["wrong"] = vs.checker_label(vs.load_image(images, r["id"]), r["scene"])
    scored = vs.java("score", os.path.abspath(args.pack), rows, images, os.path.join(args.out, "scores.jsonl"))
    with open(os.path.join(os.path.abspath(args.pack), "pack.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    for r in rows:
        r["score"] = scored[r["id"]]
        r["flagged"] = r["score"]["verdict"] == "BAD_CASE"

    def summary(subset):
        wrong = [r for r in subset if r["wrong"]]
        right = [r for r in subset if not r["wrong"]]
        return {"images": len(subset), "checker_wrong": len(wrong),
                "caught": rate(sum(r["flagged"] for r in wrong), len(wrong)),
                "false_flags": rate(sum(r["flagged"] for r in right), len(right))}

    report = {
        "pack": {"id": manifest["id"], "version": manifest["version"], "thresholds": manifest["thresholds"]},
        "generator": "mini-mmdit-flow, %d steps, guidance %.1f" % (vs.STEPS, vs.GUIDANCE),
        "set": "test: scene seed %d, draw seeds from %d" % vs.SETS["test"][:2],
        "all": summary(rows),
        "held_out_pairs": summary([r for r in rows if r["held_out_pair"]]),
        "training_pairs": summary([r for r in rows if not r["held_out_pair"]]),
        "en": summary([r for r in rows if r["lang"] == "en"]),
        "zh": summary([r for r in rows if r["lang"] == "zh"]),
        "misreads": {},
        "reasons_on_right": dict(Counter(x for r in rows if not r["wrong"] for x in r["score"]["reasons"])),
        "seconds": {"draw": round(drawn - started), "total": round(time.time() - started)},
    }
    kinds = Counter()
    caught_kinds = Counter()
    for r in rows:
        if r["wrong"]:
            for k in misread(r["scene"], r["report"]):
                kinds[k] += 1
                caught_kinds[k] += r["flagged"]
    report["misreads"] = {k: {"images": n, "caught": caught_kinds[k]} for k, n in kinds.most_common()}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=2)
    with open(os.path.join(args.out, "cases.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "lang", "held_out_pair", "prompt", "checker", "misread", "verdict", "reasons",
                    "aesthetic", "alignment", "text_rendering", "overall"])
        for r in rows:
            s = r["score"]
            w.writerow([r["id"], r["lang"], r["held_out_pair"], r["prompt"], "wrong" if r["wrong"] else "right",
                        "; ".join(misread(r["scene"], r["report"])), s["verdict"], " ".join(s["reasons"]),
                        "%.4f" % s["aesthetic"], "%.4g" % s["alignment"],
                        "%.3f" % s["textRendering"] if "textRendering" in s else "", "%.4f" % s["overall"]])
    if args.fixture:
        write_fixture(args.fixture, rows, images, args.fixture_cases)
    a = report["all"]
    print("reward pack %s %s, thresholds %s" % (manifest["id"], manifest["version"], json.dumps(manifest["thresholds"])))
    print("%d test images, %d wrong by the checker" % (a["images"], a["checker_wrong"]))
    for name in ("all", "held_out_pairs", "training_pairs", "en", "zh"):
        s = report[name]
        print("  %-15s caught %s; right flagged %s" % (name, fmt(s["caught"]), fmt(s["false_flags"])))
    print("  misreads (images, caught):", ", ".join("%s %d/%d" % (k, v["caught"], v["images"])
                                                    for k, v in report["misreads"].items()))
    print("report: %s (%d s)" % (os.path.join(args.out, "report.json"), report["seconds"]["total"]))


def write_fixture(folder, rows, images, n):
    """A small committed fixture for the smoke test: the first n/2 checker-wrong and n/2 checker-right
    test images, in set order, with their prompts and the checker's label."""
    wrong = [r for r in rows if r["wrong"]][:n // 2]
    right = [r for r in rows if not r["wrong"]][:n - len(wrong)]
    chosen = sorted(wrong + right, key=lambda r: r["id"])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cases.jsonl"), "w", encoding="utf-8") as f:
        for r in chosen:
            shutil.copyfile(os.path.join(images, r["id"] + ".png"), os.path.join(folder, r["id"] + ".png"))
            f.write(json.dumps({"id": r["id"], "prompt": vs.as_scored(r["prompt"]), "glyphs": r["glyphs"],
                                "checker": "wrong" if r["wrong"] else "right",
                                "misread": misread(r["scene"], r["report"])}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
