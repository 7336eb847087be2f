"""Rate limiting as Descope does it, seen through the official SDK: beyond a project's
allowance (`ROSTER_RATE_LIMIT`), calls fail with the SDK's own RateLimitException, which
carries Descope's error code and the Retry-After seconds."""

import pytest
from descope.exceptions import RateLimitException

from conftest import running_roster


def test_the_sdk_raises_its_rate_limit_error():
    with running_roster({"ROSTER_RATE_LIMIT": "5/60s"}) as server:
        mgmt = server.client().mgmt
        with pytest.raises(RateLimitException) as raised:
            # Five calls per node are allowed (two nodes behind the balancer on
            # PostgreSQL); the limit is hit well within thirty.
            for _ in range(30):
                mgmt.user.search_all()
        e = raised.value
        assert e.status_code == "E130429"
        assert "--rate-limit" in e.error_message
        assert 0 < e.rate_limit_parameters["Retry-After"] <= 60
