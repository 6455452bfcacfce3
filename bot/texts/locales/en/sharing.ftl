## /share: invitations, members, roles, ownership.

share-no-devices = You own no devices to share. Pair one with /add CODE.
share-pick-device = Which device do you want to share?
share-pick-role =
    Sharing { $name }. Which role should the invited person get?
    Admin: settings, live, history. Viewer: readings, live, history, alerts.
share-button-admin = 🛠 Admin
share-button-viewer = 👁 Viewer
share-button-members = 👥 Members
share-button-open = Accept the invitation
share-invitation =
    🔗 Invitation to { $name } as { $role }, valid for 24 hours and for one person:
    { $link }

    Forward this message, or send the link. The code, if they prefer to type it: /start inv_{ $token }
share-accepted = ✅ You now have access to { $name } as { $role }. /status shows its readings.
share-accepted-owner = { $member } accepted your invitation to { $name } as { $role }.
share-members-title = Members of { $name }:
share-member-line = { $icon } { $member } — { $role }
share-button-make-admin = { $member }: make admin
share-button-make-viewer = { $member }: make viewer
share-button-revoke = { $member }: revoke
share-button-transfer = { $member }: make owner
share-confirm-transfer = Make { $member } the owner of { $name }? You will stay on as an admin.
share-button-confirm-transfer = Yes, transfer ownership
share-role-changed = { $member } is now { $role }.
share-revoked = { $member } no longer has access.
share-revoked-member = Your access to { $name } was revoked by its owner.
share-role-changed-member = Your role on { $name } is now { $role }.
share-transferred = { $member } is now the owner of { $name }; you are an admin.
share-transferred-member = You are now the owner of { $name }.
share-refused-unknown = This invitation link is not valid. Ask the owner for a new one.
share-refused-used = This invitation has already been used. Ask the owner for a new one.
share-refused-expired = This invitation has expired (they last 24 hours). Ask the owner for a new one.
share-refused-own = This is your own device: you already own it.
share-refused-member = You already have access to this device.
share-refused-not-member = That person is not a member of this device (any more).
share-refused-bad-role = That role cannot be given.
share-refused-not-admin = Ownership can only go to an admin member. Make them an admin first.

command-share = Share a device
