## /share: приглашения, участники, роли, владение.

share-no-devices = У вас нет своих устройств, которыми можно поделиться. Привяжите устройство командой /add КОД.
share-pick-device = Каким устройством поделиться?
share-pick-role =
    Доступ к { $name }. Какую роль получит приглашённый?
    Администратор: настройки, live, история. Наблюдатель: показания, live, история, оповещения.
share-button-admin = 🛠 Администратор
share-button-viewer = 👁 Наблюдатель
share-button-members = 👥 Участники
share-button-open = Принять приглашение
share-invitation =
    🔗 Приглашение к { $name } с ролью «{ $role }»: действует 24 часа, для одного человека.
    { $link }

    Перешлите это сообщение или отправьте ссылку. Код, если удобнее ввести вручную: /start inv_{ $token }
share-accepted = ✅ Теперь у вас есть доступ к { $name } с ролью «{ $role }». Показания — в /status.
share-accepted-owner = { $member } принял(а) приглашение к { $name } с ролью «{ $role }».
share-members-title = Участники { $name }:
share-member-line = { $icon } { $member } — { $role }
share-button-make-admin = { $member }: сделать администратором
share-button-make-viewer = { $member }: сделать наблюдателем
share-button-revoke = { $member }: отозвать доступ
share-button-transfer = { $member }: передать владение
share-confirm-transfer = Сделать { $member } владельцем { $name }? Вы останетесь администратором.
share-button-confirm-transfer = Да, передать владение
share-role-changed = { $member } теперь { $role }.
share-revoked = У { $member } больше нет доступа.
share-revoked-member = Владелец отозвал ваш доступ к { $name }.
share-role-changed-member = Ваша роль для { $name } теперь: { $role }.
share-transferred = { $member } теперь владелец { $name }; вы — администратор.
share-transferred-member = Теперь вы владелец { $name }.
share-refused-unknown = Эта ссылка-приглашение недействительна. Попросите владельца прислать новую.
share-refused-used = Это приглашение уже использовано. Попросите владельца прислать новое.
share-refused-expired = Срок приглашения истёк (оно действует 24 часа). Попросите владельца прислать новое.
share-refused-own = Это ваше собственное устройство: вы его владелец.
share-refused-member = У вас уже есть доступ к этому устройству.
share-refused-not-member = Этот человек не является (уже) участником устройства.
share-refused-bad-role = Эту роль выдать нельзя.
share-refused-not-admin = Владение можно передать только администратору. Сначала сделайте его администратором.

command-share = Поделиться устройством
