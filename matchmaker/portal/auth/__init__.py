"""Login, logout, password change and the role guard every blueprint uses."""
