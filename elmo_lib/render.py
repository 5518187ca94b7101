"""The report's HTML: nbconvert's rendering titled by the notebook's first heading, with the print layout Chromium
follows for the PDF (headings kept with what follows, tables and figures not split, page numbers, a table of
contents), and the stream that copies the run's output into its log.
"""
from __future__ import annotations

from pathlib import Path


class Tee:
    """A text stream writing to the terminal's stream and to the run's log file."""

    def __init__(self, stream, log):
        self.stream, self.log = stream, log

    def write(self, text: str) -> int:
        if not self.log.closed:  # a logging handler made during the run may outlive it
            self.log.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        if not self.log.closed:
            self.log.flush()
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


def render_html(executed: Path, target: Path, hide_code: bool) -> None:
    """Render an executed notebook to standalone HTML (images inline), titled by its first heading; the report
    (`hide_code`) also gets the print layout (PRINT_LAYOUT: headings kept with what follows, tables and figures not
    split, page numbers, a table of contents)."""
    import html
    import re

    import nbformat
    from nbconvert import HTMLExporter
    notebook = nbformat.read(executed, as_version=4)
    first = next((c.source for c in notebook.cells if c.cell_type == "markdown"), "")
    title = re.sub(r"^#+\s*", "", first.strip().splitlines()[0]) if first.strip() else executed.stem
    exporter = HTMLExporter(exclude_input=hide_code, exclude_input_prompt=hide_code, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    if hide_code:
        body = body.replace("</head>", PRINT_LAYOUT + "</head>", 1).replace("</body>", PRINT_SCRIPT + "</body>", 1)
    target.write_text(body, encoding="utf-8")


PRINT_LAYOUT = """<style>
@page { size: A4; margin: 14mm 11mm 16mm 11mm;
        @bottom-center { content: "page " counter(page) " of " counter(pages); font: 9px sans-serif; color: #555; } }
.anchor-link { display: none; }
.jp-OutputArea-output, .jp-RenderedHTMLCommon { overflow-x: visible !important; }
.jp-RenderedHTMLCommon table { font-size: 11px; max-width: 100%; table-layout: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 2px 6px; white-space: normal; }
.jp-RenderedImage img, img { max-width: 100%; height: auto; }
.side-by-side { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
p.caption { font-size: 0.9em; color: #333; margin-top: 2px; }
nav.toc { border: 1px solid #ddd; padding: 6px 14px; margin: 10px 0; font-size: 0.95em; }
nav.toc ol { margin: 4px 0; }
@media print {
  .keep, table, img, .jp-RenderedImage, p.caption, nav.toc { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  .jp-Cell { padding: 0 !important; }
}
</style>
"""

# run before printing: each heading cell joined with the cell after it (so a heading never ends a page alone), each
# figure joined with its caption, and a table of contents of the sections after the first heading
PRINT_SCRIPT = """<script>
(function () {
  const cells = Array.from(document.querySelectorAll('.jp-Cell'));
  cells.forEach(cell => {
    const heading = cell.classList.contains('jp-MarkdownCell') && cell.querySelector('h2, h3');
    const next = cell.nextElementSibling;
    if (heading && next && next.classList.contains('jp-Cell') && cell.offsetHeight + next.offsetHeight < 900) {
      const keep = document.createElement('div');
      keep.className = 'keep';
      cell.parentNode.insertBefore(keep, cell);
      keep.appendChild(cell);
      keep.appendChild(next);
    }
  });
  document.querySelectorAll('.jp-OutputArea-child').forEach(output => {  // a short bold title with its table
    const next = output.nextElementSibling;
    const text = output.textContent.trim();
    if (next && text.length < 120 && output.querySelector('strong') && !output.querySelector('table, img') &&
        next.querySelector('table') && next.offsetHeight < 900) {
      const keep = document.createElement('div');
      keep.className = 'keep';
      output.parentNode.insertBefore(keep, output);
      keep.appendChild(output);
      keep.appendChild(next);
    }
  });
  document.querySelectorAll('p.caption').forEach(caption => {
    const output = caption.closest('.jp-OutputArea-child');
    const figure = output && output.previousElementSibling;
    if (figure && figure.querySelector('img')) {
      const keep = document.createElement('div');
      keep.className = 'keep';
      figure.parentNode.insertBefore(keep, figure);
      keep.appendChild(figure);
      keep.appendChild(output);
    }
  });
  const sections = Array.from(document.querySelectorAll('h2'));
  const title = document.querySelector('h1');
  if (title && sections.length) {
    const toc = document.createElement('nav');
    toc.className = 'toc';
    toc.innerHTML = '<b>Contents</b><ol>' + sections.map(h => '<li><a href="#' + h.id + '">' +
      h.textContent.replace('\u00b6', '') + '</a></li>').join('') + '</ol>';
    const after = title.closest('.jp-Cell');
    after.parentNode.insertBefore(toc, after.nextSibling);
  }
})();
</script>
"""
