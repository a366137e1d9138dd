"""The interactive report (Textual). One module per screen or widget; styles in .tcss files."""
