"""What operators (ADMIN_USER_IDS) see and do: the dashboard, every user and device, blocking a user."""
