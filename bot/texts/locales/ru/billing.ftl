## /billing: тариф, счета, оплата, автоплатёж; уведомления об оплате; выручка и возвраты для операторов.

command-billing = Тариф, счета и оплата
billing-money = { $amount } ₽
billing-decimal-separator = ,
billing-off = 💳 Оплата на этом сервере выключена: платить ничего не нужно.
billing-title = 💳 Оплата
billing-plan = Тариф: { $price } за устройство в месяц, { $free ->
    [0] бесплатных устройств нет
    [one] первое устройство бесплатно
   *[other] первые { $free } устройства бесплатно
}.
billing-devices = Ваших устройств: { $count }
billing-no-invoices = Счетов пока нет: счёт выставляется 1-го числа за прошедший месяц.
billing-current = Текущий счёт #{ $number }: { $month } — { $amount } за { $devices ->
    [one] { $devices } устройство
    [few] { $devices } устройства
   *[other] { $devices } устройств
}, { $state }
billing-past = Прошлые счета:
billing-past-line = • #{ $number } { $month } — { $amount } — { $state }
billing-state-open = не оплачен, срок до { $due }
billing-state-overdue = просрочен с { $due }
billing-state-paid = оплачен
billing-state-cancelled = отменён
billing-card = Карта: { $card } · автоплатёж { $autopay ->
    [on] включён
   *[off] выключен
}
billing-no-card = Сохранённой карты пока нет: первая оплата сохранит её, и следующие месяцы будут списываться автоматически.
billing-paused = ⏸ Приостановлено устройств: { $count } — до оплаты счёта (уведомления, live-режим, история). Показания по-прежнему сохраняются.
billing-button-pay = 💳 Оплатить { $amount }
billing-button-autopay-on = 🔁 Включить автоплатёж
billing-button-autopay-off = ⏹ Выключить автоплатёж
billing-button-open = Открыть страницу оплаты
billing-pay-link = Оплатите { $amount } за { $month } на странице ЮKassa. Карта сохранится, и следующие месяцы будут списываться автоматически; отключить автоплатёж можно в /billing.
billing-unavailable = Оплата сейчас недоступна. Попробуйте через несколько минут.
billing-not-payable = Этот счёт уже оплачен или отменён.
billing-autopay-no-card = Сохранённой карты пока нет: оплатите счёт один раз, чтобы сохранить её.

billing-notice-paid = ✅ Оплата получена: { $amount } за { $month }. Спасибо!
billing-notice-charge-failed = ⚠️ Автоматическое списание { $amount } за { $month } не прошло ({ $reason }). Оплатите кнопкой ниже, или я попробую снова завтра.
billing-notice-paused = ⏸ Счёт за { $month } ({ $amount }) не оплачен: уведомления, live-режим и история приостановлены для устройств: { $devices }. Показания сохраняются, а оплата сразу всё возобновит.
billing-notice-refunded = ↩️ { $amount } возвращено на вашу карту.
billing-device-paused = ⏸ Устройство приостановлено до оплаты счёта. Показания сохраняются; оплатить — /billing.

billing-revenue = 📈 Выручка за { $month }: получено { $paid }, возвращено { $refunded }, итого { $net }.
billing-revenue-user = • { $name } (id { $telegram }): { $paid }, возвращено { $refunded } — платежи { $payments }
billing-revenue-none = 📈 Платежей за { $month } нет.
billing-revenue-usage = Формат: /revenue 2026-11 (без месяца — текущий).
billing-refund-usage = Формат: /refund ПЛАТЁЖ [СУММА] — номер платежа из /revenue; без суммы — всё, что осталось.
billing-refund-done = ↩️ Возвращено { $amount } по платежу #{ $payment }; осталось { $left }.
billing-refund-refused = Возврат невозможен: { $reason }
billing-cancel-usage = Формат: /cancel_invoice СЧЁТ — номер счёта (оплата, пришедшая позже, будет возвращена).
billing-cancel-done = Счёт #{ $invoice } отменён; приостановка снята.
billing-cancel-refused = Счёт #{ $invoice } не открыт: ничего не изменилось.
