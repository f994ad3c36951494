"""eci-provider: a declarative reconciler for Alibaba Cloud ECI container groups.

The public surface is small: the spec models, the planner, and (for programs) the Pulumi
resource.  Everything else is an implementation detail.
"""

from .plan import Applied, Plan, applied_record, plan
from .spec import ContainerGroupSpec

__all__ = ["Applied", "ContainerGroupSpec", "Plan", "applied_record", "plan"]
