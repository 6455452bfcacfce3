## Отчёт за месяц (PDF), из карточки устройства.

report-button-open = 📄 Отчёт за месяц
report-pick-month = Отчёт { $name }: за какой месяц?
report-caption = 📄 { $name } · отчёт за { $month }
report-bad-month = Эта кнопка больше не действует. Откройте карточку устройства заново.
