"""``ipabs book``: a guarantor's book of deals simulated together against one capital."""
from __future__ import annotations

from pathlib import Path

from engine.cli.common import EXIT_OK, _finite


def book_inputs(book) -> tuple[list[Path], str]:
    """Every file a book reads: the book, its deals, their states and the files they name
    (none of them may be an output); and the language of the deals' reports when they all
    have the same (else English)."""
    from engine.report.i18n import language
    from engine.scenario import load_scenario, scenario_files

    base = book.base_dir or Path(".")
    files = []
    languages = set()
    for ref in book.deal_refs:
        files.append(base / ref.file)
        if ref.state is not None:
            files.append(base / ref.state)
        try:
            scenario = load_scenario(base / ref.file)
        except Exception:  # noqa: BLE001 - an unreadable deal is reported by the run
            languages.add("en")
            continue
        files += list(scenario_files(scenario))
        languages.add(language(scenario))
    return files, languages.pop() if len(languages) == 1 else "en"


def _cmd_book(args) -> int:
    import engine
    from engine.books import load_book
    from engine.report.book_tables import book_frames, book_text
    from engine.report.files import Outputs, result_json

    book = load_book(args.book)
    inputs, deals_language = book_inputs(book)
    lang = args.lang or deals_language
    args.outputs = Outputs([Path(args.book), *inputs])
    with args.outputs as outs:
        js = outs.add("--json", args.json, document=True)
        out = outs.add("--out", args.out, folder=True)
        outs.check()
        doc = _finite(engine.book(book, paths=args.paths, seed=args.seed,
                                  alone=not args.no_alone,
                                  backend=args.backend_obj or "local"))
        if js:
            outs.stage_text(js, result_json(doc))
        if out:
            def fill(folder):
                from engine.report.book_html import book_report
                from engine.report.plots import claims_png
                from engine.report.sheets import write_csv, write_xlsx

                frames = book_frames(doc)
                (folder / "book.json").write_text(result_json(doc), encoding="utf-8")
                (folder / "book.html").write_text(book_report(doc, lang), encoding="utf-8")
                for name, frame in frames.items():
                    write_csv(frame, folder / name, lang=lang)
                write_xlsx(frames, folder / "book.xlsx", lang)
                (folder / "claims.png").write_bytes(claims_png(doc, lang=lang))

            outs.stage_folder(out, fill)
        outs.commit()
    print(book_text(doc, lang))
    return EXIT_OK
