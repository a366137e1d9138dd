"""What the engines' log extractors share: cleaned log lines (records.LogLine), the sink facts go into,
and unit parsing. The log doctor that uses them is llmdoctor/logs/."""
