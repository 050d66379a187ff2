#!/usr/bin/env python3
"""Where the bytes of a statically linked Swift binary come from, from the linker's map.

Build with a map (gold, the Swift toolchain's default linker on Linux):
    swift build -c release --static-swift-stdlib --scratch-path .build-release \
        --product rentguardd -Xlinker -Map=/tmp/rentguardd.map
    scripts/binary-size.py /tmp/rentguardd.map [--repo .] [--checkouts .build-release/checkouts]

Prints the bytes each package (our modules, each dependency, the Swift runtime, Foundation,
ICU) puts in the loaded sections (code, read-only data, unwind tables, metadata; not debug
information, which `strip` removes), and why Foundation's ICU-backed parts were linked:
the first references from outside Foundation into libFoundation.a, libCoreFoundation.a,
libFoundationInternationalization.a and lib_FoundationICU.a.
"""
import os
import re
import sys
from collections import defaultdict

args = sys.argv[1:]
if not args or args[0] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0)
map_path = args[0]
repo = "."
checkouts = None
if "--repo" in args:
    repo = args[args.index("--repo") + 1]
if "--checkouts" in args:
    checkouts = args[args.index("--checkouts") + 1]
if checkouts is None:
    for cand in (".build-release/checkouts", ".build/checkouts"):
        if os.path.isdir(os.path.join(repo, cand)):
            checkouts = os.path.join(repo, cand)
            break

# Module name -> package, from the checkouts' and our Sources/ directories.
module_package = {}
if checkouts and os.path.isdir(checkouts):
    for pkg in os.listdir(checkouts):
        src = os.path.join(checkouts, pkg, "Sources")
        if os.path.isdir(src):
            for m in os.listdir(src):
                module_package.setdefault(m, pkg)
for base in ("Sources", "simulator/Sources"):
    d = os.path.join(repo, base)
    if os.path.isdir(d):
        for m in os.listdir(d):
            module_package[m] = "rentguard (ours): " + m

RUNTIME = {
    "libswiftCore": "Swift runtime + stdlib", "libswift_Concurrency": "Swift runtime + stdlib",
    "libswift_StringProcessing": "Swift runtime + stdlib", "libswift_RegexParser": "Swift runtime + stdlib",
    "libswiftSynchronization": "Swift runtime + stdlib", "libswiftGlibc": "Swift runtime + stdlib",
    "libswift_Builtin_float": "Swift runtime + stdlib", "libswiftRuntime": "Swift runtime + stdlib",
    "libdispatch": "Dispatch", "libswiftDispatch": "Dispatch", "libBlocksRuntime": "Dispatch",
    "libFoundationEssentials": "FoundationEssentials", "lib_FoundationCShims": "FoundationEssentials",
    "lib_FoundationCollections": "FoundationEssentials",
    "libFoundation": "Foundation (full, swift-corelibs)", "libCoreFoundation": "Foundation (full, swift-corelibs)",
    "libFoundationNetworking": "FoundationNetworking",
    "libFoundationInternationalization": "FoundationInternationalization (ICU-backed)",
    "lib_FoundationICU": "ICU (lib_FoundationICU: code + ~30 MB data)",
}
FOUNDATION_FULL = ("libFoundation.a", "libCoreFoundation.a", "libFoundationInternationalization.a", "lib_FoundationICU.a")


def component(path):
    m = re.search(r"/([^/]+)\.build/[^/]+$", path)
    if m:
        mod = m.group(1)
        return module_package.get(mod, "module " + mod)
    m = re.search(r"/(lib[^/]+)\.a\(", path)
    if m:
        return RUNTIME.get(m.group(1), m.group(1))
    return "C runtime (crt, libgcc)"


lines = open(map_path, errors="replace").read().split("\n")
# 1. Archive members and who pulled them in.
pulled = []  # (member, referrer, symbol)
i = 0
while i < len(lines) and not lines[i].startswith("Archive member included"):
    i += 1
i += 1
while i < len(lines) and not lines[i].startswith(("Discarded input sections", "Memory map", "Allocating common")):
    line = lines[i]
    if line and not line.startswith(" "):
        member = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        m = re.match(r"(.*) \((.*)\)$", nxt)
        if m:
            pulled.append((member, m.group(1), m.group(2)))
        i += 2
        continue
    i += 1

# 2. Loaded input sections and their sizes.
start = next(k for k, l in enumerate(lines) if l.startswith("Memory map"))
sizes = defaultdict(int)
out_sizes = defaultdict(lambda: defaultdict(int))
out_section = None
pending = None
loaded = True
for line in lines[start + 1:]:
    if line and not line.startswith(" "):
        out_section = line.split()[0]
        loaded = not out_section.startswith((".debug", ".comment", ".symtab", ".strtab", ".shstrtab", ".note.gnu.gold", ".swift_ast"))
        pending = None
        continue
    if not loaded:
        continue
    parts = line.split()
    if len(parts) == 1 and line.startswith(" ."):
        pending = parts[0]
        continue
    if len(parts) >= 4 and line.startswith(" .") and parts[1].startswith("0x") and parts[2].startswith("0x"):
        size, path = int(parts[2], 16), " ".join(parts[3:])
    elif pending and len(parts) >= 3 and parts[0].startswith("0x") and parts[1].startswith("0x"):
        size, path = int(parts[1], 16), " ".join(parts[2:])
    else:
        pending = None
        continue
    pending = None
    c = component(path)
    sizes[c] += size
    out_sizes[c][out_section] += size

total = sum(sizes.values())
print(f"loaded sections from input files: {total / 1e6:.1f} MB (the rest of the stripped file: dynamic symbol tables, relocations, headers)")
print(f"{'component':58} {'MB':>7}  largest sections")
for c, s in sorted(sizes.items(), key=lambda kv: -kv[1]):
    if s < 20_000:
        continue
    top = ", ".join(f"{k} {v / 1e6:.1f}" for k, v in sorted(out_sizes[c].items(), key=lambda kv: -kv[1])[:3])
    print(f"{c[:58]:58} {s / 1e6:7.2f}  {top}")
small = sum(s for s in sizes.values() if s < 20_000)
print(f"{'(components under 20 kB)':58} {small / 1e6:7.2f}")

# 3. Why full Foundation and ICU are linked: references from outside those archives.
print("\nentry points into full Foundation / CoreFoundation / FoundationInternationalization / ICU")
print("(archive member pulled in, the file outside those archives that referenced it, the symbol):")
seen = set()
for member, referrer, symbol in pulled:
    if not any(a in member for a in FOUNDATION_FULL):
        continue
    if any(a in referrer for a in FOUNDATION_FULL):
        continue
    key = (component(referrer), member.split("(")[-1])
    if key in seen:
        continue
    seen.add(key)
    ref = re.sub(r".*/release/", "", referrer)
    ref = re.sub(r".*/swift_static/linux/", "", ref)
    print(f"  {member.split('/')[-1]:60} <- {ref} ({symbol[:90]})")
