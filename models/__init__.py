"""SQLModel tables by domain. Importing this package registers every table."""
from models.base import LabeledEnum, utcnow
from models.housing import (Building, FeeItem, FeeKind, Floor, LockKind, PriceUnit, PricingStandard, Project,
                            ProjectKind, PublishState, RentMode, Room, RoomStatus, RoomStatusLog, UnitType)
from models.imports import BatchState, ImportBatch
from models.org import DataScope, OrgUnit, PROJECT_BOUND_ROLES, ROLE_UNIT_KIND, Role, UnitKind
from models.audit import AuditLog
from models.files import DownloadTicket, StoredFileOwner
from models.params import CityParam, EnterpriseParam
from models.market import AreaBand, IndexKind, MarketIndex
from models.marketing import (Audience, Bargain, BargainRecord, BargainState, Channel, Coupon, CouponKind,
                              CouponProject, Event, EventSignup, FlashClaim, FlashSale, Notification,
                              NotificationState, NotificationTenant, SignupState)
from models.app_content import Banner, BannerGroup, Evaluation, Feedback, FeedbackKind, FeedbackState, LinkKind
from models.insurance import (InsuranceCover, InsuranceExtra, InsuranceKind, InsuranceProduct, PlanMode, Policy,
                              PolicyState, ProjectInsurancePlan)
from models.user import LoginLog, LoginOutcome, LoginThrottle, User, UserProject, UserScopeUnit, UserSession
from models.leasing import (MasterLease, MasterLeaseRoom, Payer, AdjustmentKind, AdjustmentState, BillAdjustment, MeterReading, Appointment, AppointmentState, ApprovalState, BadDebt, Bill, BillKind, BillMode, BillState,
                            Contract, ContractSource, ContractState, PayCycle, Payment, PaymentMethod, Reservation,
                            ReservationState, Tenant)

__all__ = [
    "BatchState", "LockKind", "RoomStatusLog", "FeeItem", "FeeKind", "ImportBatch", "PriceUnit", "PricingStandard", "RentMode", "UnitType",
    "Audience", "Bargain", "BargainRecord", "BargainState", "Channel", "Coupon", "CouponKind", "CouponProject",
    "Event", "EventSignup", "FlashClaim", "FlashSale", "Notification", "NotificationState", "NotificationTenant",
    "SignupState", "Banner", "BannerGroup", "Evaluation", "Feedback", "FeedbackKind", "FeedbackState", "LinkKind",
    "InsuranceCover", "InsuranceExtra", "InsuranceKind", "InsuranceProduct", "PlanMode", "Policy", "PolicyState",
    "ProjectInsurancePlan",
    "AuditLog", "AreaBand", "IndexKind", "MarketIndex", "CityParam", "DownloadTicket", "StoredFileOwner",
    "EnterpriseParam",
    "Building", "DataScope", "Floor", "LabeledEnum", "OrgUnit", "PROJECT_BOUND_ROLES",
    "Project", "ProjectKind", "ROLE_UNIT_KIND", "PublishState", "Role", "Room", "RoomStatus", "UnitKind",
    "User", "UserProject", "UserScopeUnit", "UserSession", "utcnow", "LoginLog", "LoginOutcome", "LoginThrottle",
    "Appointment", "AppointmentState", "ApprovalState", "BadDebt", "Bill", "BillKind", "BillMode", "BillState",
    "Contract", "ContractSource", "ContractState", "PayCycle", "Payment", "PaymentMethod", "Reservation",
    "ReservationState", "Tenant", "MasterLease", "MasterLeaseRoom", "Payer", "AdjustmentKind", "AdjustmentState", "BillAdjustment", "MeterReading",
]
