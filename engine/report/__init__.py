"""Presentation of results, in English or Chinese: text tables (:mod:`.table`), files
(written atomically, :mod:`.files`; CSV and xlsx content, :mod:`.sheets`), plots
(:mod:`.plots`, Chinese glyphs from :mod:`.fonts`), the HTML report (:mod:`.html`, with the
deal summary of :mod:`.summary`) and the words of both languages (:mod:`.i18n`)."""
