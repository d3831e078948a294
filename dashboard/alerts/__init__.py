"""Alerts on error spikes: rules, their evaluation every minute, notifications, history."""
