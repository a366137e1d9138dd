from llmdoctor.app.cli import entry

entry()
