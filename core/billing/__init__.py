"""Billing: the plan's maths (plain functions), invoices, payments through YooKassa, grace and refunds.

Money is integer kopecks everywhere; roubles appear only where a person reads them or YooKassa wants them.
"""
