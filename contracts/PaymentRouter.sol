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

    address private _treasury;

    /// @notice An order was paid; `token` is the zero address for the native coin.
    event OrderPaid(bytes32 indexed orderRef, address indexed payer, address token, uint256 amount);
    /// @notice The treasury that receives payments changed.
    event TreasuryChanged(address previousTreasury, address newTreasury);

    /// @notice A payment of zero carries no value.
    error ZeroAmount();
    /// @notice An address that must be set was the zero address.
    error ZeroAddress();

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
