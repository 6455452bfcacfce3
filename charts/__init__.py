"""Chart rendering: plain data in, PNG or PDF bytes out; no database, no Telegram."""

from charts.comparison import comparison_chart
from charts.history import history_chart
from charts.labels import ENGLISH, RUSSIAN, Labels, for_language
from charts.report import monthly_report
from charts.series import AlertEntry, Bucket, Comparison, DaySummary, History, MonthlyReport, Period, Point

__all__ = [
    "ENGLISH",
    "RUSSIAN",
    "AlertEntry",
    "Bucket",
    "Comparison",
    "DaySummary",
    "History",
    "Labels",
    "MonthlyReport",
    "Period",
    "Point",
    "comparison_chart",
    "for_language",
    "history_chart",
    "monthly_report",
]
