"""Creating an alert rule through its page in a real browser, and finding it in the list."""

from dashboard.alerts.models import Channel, Rule


def test_a_rule_created_in_the_browser_appears_in_the_list(page, log_in, live_server):
    Channel.objects.create(name="ops-hook", kind=Channel.WEBHOOK, target="http://127.0.0.1:9/h")
    log_in(page)

    page.get_by_role("link", name="Alerts").click()
    page.get_by_role("link", name="New rule").click()
    page.fill("input[name=name]", "Account spike")
    page.fill("input[name=account]", "18ce54d4x5t")
    page.select_option("select[name=condition]", "spike")
    page.fill("input[name=threshold]", "3")
    page.select_option("select[name=group_by]", "code")
    page.get_by_label("ops-hook").check()
    page.get_by_role("button", name="Preview last 7 days").click()
    assert "would have fired" in page.locator("#preview").inner_text()
    page.get_by_role("button", name="Save rule").click()
    page.get_by_role("link", name="Alerts").click()

    row = page.locator("table.rules tr", has_text="Account spike")
    assert row.count() == 1
    assert "account=18ce54d4x5t" in row.inner_text() and "ops-hook" in row.inner_text()
    rule = Rule.objects.get(name="Account spike")
    assert rule.condition == "spike" and rule.group_by == "code"
