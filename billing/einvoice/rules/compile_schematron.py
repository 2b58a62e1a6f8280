"""Compile a Schematron file to XSLT with SchXslt, run by saxonche (how the vendored
XRechnung-CII-validation.xsl was made; see README.md). Not imported by the application.

    python compile_schematron.py <schxslt>/2.0/pipeline-for-svrl.xsl <in.sch> <out.xsl>
"""

import sys

from saxonche import PySaxonProcessor


def main(pipeline: str, schematron: str, output: str) -> None:
    with PySaxonProcessor(license=False) as processor:
        compiler = processor.new_xslt30_processor()
        executable = compiler.compile_stylesheet(stylesheet_file=pipeline)
        executable.transform_to_file(source_file=schematron, output_file=output)


if __name__ == "__main__":
    main(*sys.argv[1:4])
