## Monthly report (PDF), from the device card.

report-button-open = 📄 Monthly report
report-pick-month = Monthly report of { $name }: which month?
report-caption = 📄 { $name } · report for { $month }
report-bad-month = This button is no longer valid. Open the device card again.
