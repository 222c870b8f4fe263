// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/**
 * @title PaymentRouter
 * @notice Pays an order on-chain: the funds go straight to the treasury and {OrderPaid} tells the
 * platform which order they were for. The router never holds funds.
 * @dev The platform matches `orderRef`, payer, token and amount against the order; a payment for
 * an unknown or already paid order is refunded off-chain, so the contract keeps no order state.
 */
contract PaymentRouter is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice May pull subscription periods from payers' mandates ({pullPeriod}); granted by the admin.
    bytes32 public constant PULLER_ROLE = keccak256("PULLER_ROLE");

    /**
     * @dev A payer's standing permission to be charged one subscription's periods. Two slots:
     * the token and the cap share one; the schedule and the pull state share the other, which
     * {pullPeriod} rewrites (non-zero to non-zero: 2,900 gas warm, never a fresh 22,100 slot).
     * `nextPeriod` is the lowest period index that may still be pulled (periods are pulled in
     * order, each at most once); `cancelled` ends the mandate for good.
     */
    struct Mandate {
        address token;
        uint96 capPerPeriod;
        uint40 startsAt;
        uint32 periodSeconds;
        uint32 nextPeriod;
        bool cancelled;
    }

    address private _treasury;
    mapping(bytes32 mandateId => Mandate) private _mandates;

    /// @notice An order was paid; `token` is the zero address for the native coin.
    event OrderPaid(bytes32 indexed orderRef, address indexed payer, address token, uint256 amount);
    /// @notice `payer` allowed subscription `subscriptionRef` to be charged up to `capPerPeriod` of `token` once per period.
    event MandateCreated(
        bytes32 indexed mandateId, address indexed payer, bytes32 indexed subscriptionRef, address token, uint96 capPerPeriod, uint40 startsAt, uint32 periodSeconds
    );
    /// @notice Period `periodIndex` of a subscription was paid from the payer's allowance.
    event PeriodPulled(bytes32 indexed mandateId, address indexed payer, bytes32 indexed subscriptionRef, uint32 periodIndex, address token, uint256 amount);
    /// @notice The payer cancelled the mandate: nothing more can be pulled.
    event MandateCancelled(bytes32 indexed mandateId, address indexed payer, bytes32 indexed subscriptionRef);
    /// @notice The treasury that receives payments changed.
    event TreasuryChanged(address previousTreasury, address newTreasury);

    /// @notice A payment of zero carries no value.
    error ZeroAmount();
    /// @notice An address that must be set was the zero address.
    error ZeroAddress();
    /// @notice The payer already has a mandate for this subscription (cancel it and use a new reference).
    error MandateExists(bytes32 mandateId);
    /// @notice No mandate for this payer and subscription.
    error UnknownMandate(bytes32 mandateId);
    /// @notice The payer cancelled this mandate.
    error MandateIsCancelled(bytes32 mandateId);
    /// @notice The period was pulled already (or an earlier one is still unpaid): each period is pulled once, in order.
    error PeriodAlreadyPulled(bytes32 mandateId, uint32 periodIndex, uint32 nextPeriod);
    /// @notice The period has not begun (a period may be pulled from one period before it starts).
    error PeriodNotDue(bytes32 mandateId, uint32 periodIndex, uint256 dueAt);
    /// @notice The amount is above the payer's cap per period.
    error AllowanceCapExceeded(bytes32 mandateId, uint256 amount, uint96 capPerPeriod);
    /// @notice A period length of zero.
    error ZeroPeriod();

    constructor(address admin, address treasury_) {
        if (admin == address(0) || treasury_ == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _treasury = treasury_;
        emit TreasuryChanged(address(0), treasury_);
    }

    /**
     * @notice Pays order `orderRef` with the native coin sent along.
     * @dev Requirements: `msg.value` is not zero; the treasury accepts the coin.
     */
    function payNative(bytes32 orderRef) external payable {
        if (msg.value == 0) revert ZeroAmount();
        Address.sendValue(payable(_treasury), msg.value);
        emit OrderPaid(orderRef, msg.sender, address(0), msg.value);
    }

    /**
     * @notice Pays order `orderRef` with `amount` of ERC-20 `token`, moved from the caller to the treasury.
     * @dev Requirements: `amount` is not zero; `token` is not the zero address; the caller approved
     * this router for at least `amount`.
     */
    function payToken(bytes32 orderRef, address token, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (token == address(0)) revert ZeroAddress();
        IERC20(token).safeTransferFrom(msg.sender, _treasury, amount);
        emit OrderPaid(orderRef, msg.sender, token, amount);
    }

    /**
     * @notice The mandate id of `payer`'s subscription `subscriptionRef`.
     */
    function mandateIdOf(address payer, bytes32 subscriptionRef) public pure returns (bytes32) {
        return keccak256(abi.encode(payer, subscriptionRef));
    }

    /**
     * @notice Lets the platform charge the caller's subscription `subscriptionRef` once per period,
     * at most `capPerPeriod` of `token` each time, from the ERC-20 allowance the caller grants this
     * router. Period `i` runs from `startsAt + i * periodSeconds`; period 0 is usually paid at
     * checkout, so pulls start at `firstPeriod`.
     * @dev Requirements: non-zero token, cap and period; no mandate of the caller for this reference.
     */
    function createMandate(bytes32 subscriptionRef, address token, uint96 capPerPeriod, uint40 startsAt, uint32 periodSeconds, uint32 firstPeriod)
        external
        returns (bytes32 mandateId)
    {
        if (token == address(0)) revert ZeroAddress();
        if (capPerPeriod == 0) revert ZeroAmount();
        if (periodSeconds == 0) revert ZeroPeriod();
        mandateId = mandateIdOf(msg.sender, subscriptionRef);
        if (_mandates[mandateId].token != address(0)) revert MandateExists(mandateId);
        _mandates[mandateId] = Mandate({
            token: token,
            capPerPeriod: capPerPeriod,
            startsAt: startsAt,
            periodSeconds: periodSeconds,
            nextPeriod: firstPeriod,
            cancelled: false
        });
        emit MandateCreated(mandateId, msg.sender, subscriptionRef, token, capPerPeriod, startsAt, periodSeconds);
    }

    /**
     * @notice Charges period `periodIndex` of `payer`'s subscription `subscriptionRef`: `amount` of the
     * mandate's token moves from the payer to the treasury.
     * @dev Requirements: the caller holds PULLER_ROLE; the mandate exists and is not cancelled;
     * `periodIndex` is the mandate's next period (each period once, in order); the period starts
     * within one period from now (`block.timestamp >= startsAt + (periodIndex - 1) * periodSeconds`);
     * `0 < amount <= capPerPeriod`; the payer's allowance and balance cover it (else the token reverts).
     */
    function pullPeriod(address payer, bytes32 subscriptionRef, uint32 periodIndex, uint256 amount) external onlyRole(PULLER_ROLE) {
        bytes32 mandateId = mandateIdOf(payer, subscriptionRef);
        Mandate storage mandate = _mandates[mandateId];
        address token = mandate.token;
        if (token == address(0)) revert UnknownMandate(mandateId);
        if (mandate.cancelled) revert MandateIsCancelled(mandateId);
        uint32 nextPeriod = mandate.nextPeriod;
        if (periodIndex != nextPeriod) revert PeriodAlreadyPulled(mandateId, periodIndex, nextPeriod);
        uint256 dueAt = uint256(mandate.startsAt) + (periodIndex == 0 ? 0 : uint256(periodIndex - 1) * mandate.periodSeconds);
        if (block.timestamp < dueAt) revert PeriodNotDue(mandateId, periodIndex, dueAt);
        if (amount == 0) revert ZeroAmount();
        uint96 cap = mandate.capPerPeriod;
        if (amount > cap) revert AllowanceCapExceeded(mandateId, amount, cap);
        mandate.nextPeriod = nextPeriod + 1;
        IERC20(token).safeTransferFrom(payer, _treasury, amount);
        emit PeriodPulled(mandateId, payer, subscriptionRef, periodIndex, token, amount);
    }

    /**
     * @notice Cancels the caller's mandate for `subscriptionRef`: no period can be pulled any more.
     * (Lowering the ERC-20 allowance stops pulls too; this also tells the platform why.)
     * @dev Requirements: the caller's mandate exists and is not cancelled.
     */
    function cancelMandate(bytes32 subscriptionRef) external {
        bytes32 mandateId = mandateIdOf(msg.sender, subscriptionRef);
        Mandate storage mandate = _mandates[mandateId];
        if (mandate.token == address(0)) revert UnknownMandate(mandateId);
        if (mandate.cancelled) revert MandateIsCancelled(mandateId);
        mandate.cancelled = true;
        emit MandateCancelled(mandateId, msg.sender, subscriptionRef);
    }

    /// @notice A mandate: token, cap per period, schedule, next period to pull, cancelled.
    function mandateOf(bytes32 mandateId) external view returns (Mandate memory) {
        return _mandates[mandateId];
    }

    /**
     * @notice Changes the treasury.
     * @dev Requirements: the caller holds DEFAULT_ADMIN_ROLE; `newTreasury` is not the zero address.
     */
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert ZeroAddress();
        address previous = _treasury;
        _treasury = newTreasury;
        emit TreasuryChanged(previous, newTreasury);
    }

    /// @notice The address that receives every payment.
    function treasury() external view returns (address) {
        return _treasury;
    }
}
