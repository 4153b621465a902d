"""The 18 bundles of the contract (`contract.md`): slugs never change, so code and data check against them."""

from __future__ import annotations

from typing import Final

# (slug, official name, kind) in contract order; the order bundles are listed in.
CONTRACT_BUNDLES: Final[tuple[tuple[str, str, str], ...]] = (
    ("company_opening", "企业开办", "enterprise"),
    ("construction_permit", "工程建设项目审批", "enterprise"),
    ("business_operation", "生产经营(经营许可,如开餐饮店、药店)", "enterprise"),
    ("policy_benefits", "惠企政策兑现", "enterprise"),
    ("employee_hiring", "员工录用", "enterprise"),
    ("enterprise_real_estate", "涉企不动产登记", "enterprise"),
    ("company_deregistration", "企业注销", "enterprise"),
    ("newborn", "新生儿出生", "individual"),
    ("school_enrollment", "入园入学", "individual"),
    ("graduate", "大中专学生毕业", "individual"),
    ("employment", "就业(含失业登记、创业扶持)", "individual"),
    ("medical", "就医(含异地就医备案、医保报销)", "individual"),
    ("marriage", "婚育(结婚登记、户口迁移、生育登记)", "individual"),
    ("disability_assistance", "扶残助困", "individual"),
    ("veteran", "军人退役", "individual"),
    ("housing_transfer", "二手房交易及水电气网联动过户", "individual"),
    ("retirement", "退休", "individual"),
    ("after_death", "身后", "individual"),
)

CONTRACT_SLUGS: Final[tuple[str, ...]] = tuple(slug for slug, _, _ in CONTRACT_BUNDLES)
CONTRACT_KINDS: Final[dict[str, str]] = {slug: kind for slug, _, kind in CONTRACT_BUNDLES}
