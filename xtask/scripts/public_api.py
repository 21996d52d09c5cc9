#!/usr/bin/env python3
"""Lists ossuary-core's public API: the crate root's names and Connection's
public methods, from rustdoc's JSON output.

    RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-Z unstable-options --output-format json" \
        cargo doc -p ossuary-core --no-deps [--all-features] --target-dir target/api
    python3 xtask/scripts/public_api.py target/api/doc/ossuary_core.json
"""
import json
import sys


def main(path):
    doc = json.load(open(path))
    index = doc["index"]
    root = index[str(doc["root"])]
    names = []
    for item_id in root["inner"]["module"]["items"]:
        item = index[str(item_id)]
        inner = item["inner"]
        if "use" in inner:
            names.append(inner["use"]["name"])
        elif item.get("name") and item.get("visibility") == "public":
            names.append(item["name"])
    print(len(names), "root names:", " ".join(sorted(names)))
    for item in index.values():
        if item.get("name") == "Connection" and "struct" in item["inner"]:
            methods = []
            for impl_id in item["inner"]["struct"]["impls"]:
                impl = index[str(impl_id)]["inner"]["impl"]
                if impl.get("trait") is not None:
                    continue
                for m in impl["items"]:
                    if index[str(m)].get("visibility") == "public":
                        methods.append(index[str(m)]["name"])
            print(len(methods), "Connection methods:", " ".join(sorted(methods)))


if __name__ == "__main__":
    main(sys.argv[1])
