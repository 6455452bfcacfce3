## /billing: the plan, invoices, payments, autopay; billing notices; the operators' revenue and refunds.

command-billing = Plan, invoices and payment
billing-money = { $amount } ₽
billing-decimal-separator = .
billing-off = 💳 Billing is off on this server: there is nothing to pay.
billing-title = 💳 Billing
billing-plan = Plan: { $price } per device per month, { $free ->
    [0] no free devices
    [one] the first device free
   *[other] the first { $free } devices free
}.
billing-devices = Devices you own: { $count }
billing-no-invoices = No invoices yet: invoices are issued on the 1st of each month for the month before.
billing-current = Current invoice #{ $number }: { $month } — { $amount } for { $devices ->
    [one] one device
   *[other] { $devices } devices
}, { $state }
billing-past = Past invoices:
billing-past-line = • #{ $number } { $month } — { $amount } — { $state }
billing-state-open = unpaid, due { $due }
billing-state-overdue = overdue since { $due }
billing-state-paid = paid
billing-state-cancelled = cancelled
billing-card = Card: { $card } · autopay { $autopay ->
    [on] on
   *[off] off
}
billing-no-card = No saved card yet: your first payment saves it, and later months are charged to it automatically.
billing-paused = ⏸ { $count ->
    [one] One device is
   *[other] { $count } devices are
} paused until the invoice is paid (alerts, live mode, history). Readings are still stored.
billing-button-pay = 💳 Pay { $amount }
billing-button-autopay-on = 🔁 Turn autopay on
billing-button-autopay-off = ⏹ Turn autopay off
billing-button-open = Open the payment page
billing-pay-link = Pay { $amount } for { $month } on YooKassa's page. Your card will be saved and charged automatically next months; /billing turns autopay off.
billing-unavailable = Payments are unavailable right now. Please try again in a few minutes.
billing-not-payable = This invoice is already paid or cancelled.
billing-autopay-no-card = There is no saved card yet: pay an invoice once to save it.

billing-notice-paid = ✅ Payment received: { $amount } for { $month }. Thank you!
billing-notice-charge-failed = ⚠️ The automatic charge of { $amount } for { $month } did not go through ({ $reason }). Pay with the button below, or I will try again tomorrow.
billing-notice-paused = ⏸ The invoice for { $month } ({ $amount }) is unpaid: alerts, live mode and history of { $devices ->
    [one] one device are
   *[other] { $devices } devices are
} paused. Readings are still stored, and paying resumes everything at once.
billing-notice-refunded = ↩️ { $amount } refunded to your card.
billing-device-paused = ⏸ This device is paused until your invoice is paid. Readings are still stored; /billing to pay.

billing-revenue = 📈 Revenue for { $month }: { $paid } received, { $refunded } refunded, { $net } net.
billing-revenue-user = • { $name } (id { $telegram }): { $paid }, refunded { $refunded } — payments { $payments }
billing-revenue-none = 📈 No payments for { $month }.
billing-revenue-usage = Usage: /revenue 2026-11 (without a month: the current one).
billing-refund-usage = Usage: /refund PAYMENT [AMOUNT] — the payment number from /revenue; without an amount, all that is left.
billing-refund-done = ↩️ Refunded { $amount } of payment #{ $payment }; { $left } left to refund.
billing-refund-refused = Cannot refund: { $reason }
billing-cancel-usage = Usage: /cancel_invoice INVOICE — the invoice number (a payment for it that arrives later is refunded).
billing-cancel-done = Invoice #{ $invoice } cancelled; its pauses are lifted.
billing-cancel-refused = Invoice #{ $invoice } is not open: nothing changed.
