"""The surety staff's read-only console: a contractor, its list, a certificate with versions and audit trail."""

from __future__ import annotations

import re

from chalicelib.domain.search import FIELD_NAMES_JA
from tests.support.browser import login, squeezed_cells


def test_console_contractor_list_certificate(runner, new_page, a11y, screenshot):
    number = runner.issued[4]
    runner.amend(number, 4, expected_version=1, guarantee_amount=35_000_000)  # a second version (変更)

    page = new_page()
    login(page, "demo-surety")
    page.goto("/console")
    a11y.check(page, "コンソール")
    page.get_by_label(re.compile("保証契約者名")).fill("㈱○○")  # the beginning of the name, 法人格 as typed
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=re.compile("株式会社△△工業")).count() == 0
    a11y.check(page, "コンソール: 保証契約者の検索結果")
    page.get_by_role("link", name=re.compile("株式会社○○建設")).first.click()
    assert "/console/contractors/contractor-1" in page.url, page.url
    a11y.check(page, "コンソール: 受注者の保証工事一覧")
    page.get_by_role("radio", name="保証契約番号", exact=True).check()
    page.get_by_label("検索語").fill(number)
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_load_state()

    page.get_by_role("link", name=number).first.click()
    assert page.url.endswith(f"/console/certificates/{number}")
    main = page.locator("main").inner_text()
    assert "変更" in main and "35,000,000" in main and "40,000,000" in main, main  # both versions
    assert "版の履歴" in main and "第2版" in main, main
    trail = page.get_by_role("region", name=re.compile("操作の記録"))
    names = trail.locator("tbody th[scope=row]").all_inner_texts()
    assert "発行" in names and "変更" in names, names
    for table in page.locator("main table").all():
        assert table.locator("th").count() > 0
    a11y.check(page, "コンソール: 保証証書 (版と監査証跡)")
    screenshot(page, "console-certificate")

    # Read-only: no form that changes anything.
    assert page.locator("main form[method=post], main form[method=POST]").count() == 0

    # 保証証書の検索: across contractors, by an owner here (no total: 「a - b件」), whose each is in its own column.
    page.get_by_role("link", name="保証証書の検索").first.click()
    page.get_by_label(FIELD_NAMES_JA["obligee_id"]).fill("pref-demo")
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_load_state()
    assert "obligee_id=pref-demo" in page.url
    assert page.get_by_role("columnheader", name="保証契約者").count() == 1
    listed = page.locator("main table tbody th[scope=row] a").all_inner_texts()
    assert {"2070004426", "2070004427", "2070202096"} <= set(listed), listed
    assert "件中" not in page.locator("main").inner_text()
    assert not squeezed_cells(page), squeezed_cells(page)[:5]  # 書面, 前払: never one character a line
    a11y.check(page, "コンソール: 保証証書の検索")
    screenshot(page, "console-search")
    a11y.assert_clean()
